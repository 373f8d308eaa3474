package gqlws

import (
	"bytes"
	"encoding/json"

	"github.com/99designs/gqlgen/graphql"
)

// subprotocol is the only WebSocket subprotocol spoken.
const subprotocol = "graphql-transport-ws"

// The message types of graphql-transport-ws.
const (
	typeConnectionInit = "connection_init"
	typeConnectionAck  = "connection_ack"
	typePing           = "ping"
	typePong           = "pong"
	typeSubscribe      = "subscribe"
	typeNext           = "next"
	typeError          = "error"
	typeComplete       = "complete"
)

// outgoing is a message to the client. A nil Payload is left out, as the
// protocol wants for an ack or pong without one.
type outgoing struct {
	ID      string `json:"id,omitempty"`
	Type    string `json:"type"`
	Payload any    `json:"payload,omitempty"`
}

// incoming is a client message that passed validation: each type fills
// only its own fields.
type incoming struct {
	typ       string
	id        string             // subscribe, complete
	init      map[string]any     // connection_init; nil without payload
	echo      json.RawMessage    // ping's payload; nil without one
	subscribe *graphql.RawParams // subscribe
}

// wireMessage is a client message as sent.
type wireMessage struct {
	Type    *string         `json:"type"`
	ID      *string         `json:"id"`
	Payload json.RawMessage `json:"payload"`
}

// wireSubscribe is a subscribe payload as sent; nil pointers are missing
// or null fields.
type wireSubscribe struct {
	Query         *string        `json:"query"`
	OperationName *string        `json:"operationName"`
	Variables     map[string]any `json:"variables"`
	Extensions    map[string]any `json:"extensions"`
}

// decode parses and validates a client message as graphql-ws's
// validateMessage does; a message it refuses closes the connection with
// 4400.
func decode(data []byte) (incoming, error) {
	var w wireMessage
	if err := json.Unmarshal(data, &w); err != nil {
		return incoming{}, badRequest("Invalid message received")
	}
	if w.Type == nil || *w.Type == "" {
		return incoming{}, badRequest("Message is missing the 'type' property")
	}
	m := incoming{typ: *w.Type}
	switch m.typ {
	case typeConnectionInit:
		return m, decodeObject(m.typ, w.Payload, &m.init)
	case typePing:
		if !absent(w.Payload) {
			m.echo = w.Payload
		}
		return m, decodeObject(m.typ, w.Payload, new(map[string]any))
	case typePong:
		return m, decodeObject(m.typ, w.Payload, new(map[string]any))
	case typeSubscribe:
		id, err := requireID(m.typ, w.ID)
		if err != nil {
			return incoming{}, err
		}
		m.id = id
		m.subscribe, err = decodeSubscribe(w.Payload)
		return m, err
	case typeComplete:
		id, err := requireID(m.typ, w.ID)
		m.id = id
		return m, err
	default:
		return incoming{}, badRequest("Unexpected message of type %.64q received", m.typ)
	}
}

// decodeObject decodes an optional object payload into dst.
func decodeObject(typ string, payload json.RawMessage, dst *map[string]any) error {
	if absent(payload) {
		return nil
	}
	if err := decodeJSON(payload, dst); err != nil {
		return badRequest("%q message expects the 'payload' property to be an object or missing", typ)
	}
	return nil
}

func requireID(typ string, id *string) (string, error) {
	if id == nil || *id == "" {
		return "", badRequest("%q message requires a non-empty 'id' property", typ)
	}
	return *id, nil
}

func decodeSubscribe(payload json.RawMessage) (*graphql.RawParams, error) {
	var p wireSubscribe
	if absent(payload) || decodeJSON(payload, &p) != nil {
		return nil, badRequest("%q message expects the 'payload' property to be a valid subscribe payload", typeSubscribe)
	}
	if p.Query == nil {
		return nil, badRequest("%q message payload expects the 'query' property to be a string", typeSubscribe)
	}
	params := &graphql.RawParams{Query: *p.Query, Variables: p.Variables, Extensions: p.Extensions}
	if p.OperationName != nil {
		params.OperationName = *p.OperationName
	}
	return params, nil
}

// decodeJSON decodes numbers as json.Number, as gqlgen's own transports
// do, so that variables coerce to Int and Float exactly.
func decodeJSON(data []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec.Decode(dst)
}

func absent(payload json.RawMessage) bool {
	return len(payload) == 0 || string(payload) == "null"
}
