//go:build ignore

// entc generates the ent package from ./schema (go generate ./ent). It is
// the ent CLI's generate command plus one dependency the CLI cannot
// declare: the store's currency, injected into every client (ent.Currency)
// and so reachable from every entity, which lets money fields marshal
// without a resolver (ent/graphql.go).
package main

import (
	"log"

	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
)

func main() {
	err := entc.Generate("./schema", &gen.Config{},
		entc.FeatureNames("sql/versioned-migration", "sql/upsert", "sql/lock", "sql/execquery", "sql/modifier", "intercept"),
		entc.Dependency(entc.DependencyName("Currency"), entc.DependencyType("")),
	)
	if err != nil {
		log.Fatalf("ent codegen: %v", err)
	}
}
