package graph

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"github.com/go-playground/validator/v10"

	"github.com/shopgraph/shopgraph/graph/apperr"
	"github.com/shopgraph/shopgraph/graph/relay"
)

// slugPattern is the shape of every URL slug.
var slugPattern = regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`)

// newValidator returns the one validator the API shares. Field names are
// taken from the json tags gqlgen writes, so errors name GraphQL fields.
func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterValidation("slug", func(fl validator.FieldLevel) bool {
		return slugPattern.MatchString(fl.Field().String())
	})
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			return ""
		}
		return name
	})
	return v
}

// check validates an input argument; arg is its GraphQL name, used as the
// root of each error's field path (e.g. filter.search).
func (r *Resolver) check(arg string, input any) error {
	if v := reflect.ValueOf(input); !v.IsValid() || (v.Kind() == reflect.Pointer && v.IsNil()) {
		return nil
	}
	err := r.validate.Struct(input)
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return err
	}
	out := &apperr.Error{Code: apperr.BadUserInput}
	for _, fe := range verrs {
		_, rest, _ := strings.Cut(fe.Namespace(), ".")
		out.Fields = append(out.Fields, apperr.FieldError{Field: arg + "." + rest, Message: describe(fe)})
	}
	out.Message = fmt.Sprintf("invalid %s: %s: %s", arg, out.Fields[0].Field, out.Fields[0].Message)
	return out
}

// checkedID checks a mutation's input (the argument "input") and converts
// the global ID of type typ it carries at field: what most mutations do
// before anything else.
func (r *Resolver) checkedID(input any, field, typ, gid string) (int, error) {
	if err := r.check("input", input); err != nil {
		return 0, err
	}
	return relay.IDOf(field, typ, gid)
}

// describe turns a failed rule into a sentence a client developer can act on.
func describe(fe validator.FieldError) string {
	switch fe.Tag() {
	case "required":
		return "is required"
	case "min":
		if fe.Kind() == reflect.String {
			return fmt.Sprintf("must be at least %s characters", fe.Param())
		}
		return fmt.Sprintf("must be at least %s", fe.Param())
	case "slug":
		return "must be lower-case letters and digits separated by single hyphens"
	case "email":
		return "must be an email address"
	case "max":
		if fe.Kind() == reflect.String {
			return fmt.Sprintf("must be at most %s characters", fe.Param())
		}
		return fmt.Sprintf("must be at most %s", fe.Param())
	default:
		return fmt.Sprintf("fails the %q rule", fe.Tag())
	}
}
