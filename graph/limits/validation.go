package limits

import (
	"fmt"

	"github.com/vektah/gqlparser/v2/validator/core"
	"github.com/vektah/gqlparser/v2/validator/rules"
)

// ValidationRules returns gqlgen's validation rule set (the spec's rules,
// field suggestions left out when suggest is false, as gqlgen's
// SetDisableSuggestion would) with the errors one document can cause capped
// at maxErrors, plus one error saying the rest were left out. Without a cap
// a refused document amplifies: 499 fields named alike with different
// arguments are 124,251 "fields conflict" errors (a 30 MB response and
// seconds of CPU, most of it formatting and encoding the errors), and
// 4,900 unknown directives nearly 10,000. Errors past the cap are never
// formatted: a rule's message is built when its options are applied,
// which the cap skips. gqlgen calls the function once per validation, so
// each document gets its own count. Give it to handler.Server's
// SetValidationRulesFn.
//
// gqlgen swaps the suggestion rules itself by name after calling this; the
// set returned already holds the variant it would add, so gqlgen's AddRule
// keeps the capped one.
func ValidationRules(maxErrors int, suggest bool) func() *rules.Rules {
	return func() *rules.Rules {
		// The spec's rules as gqlparser ships them (a new rule in an
		// upgrade is capped too), with the suggestion variant chosen.
		set := rules.NewDefaultRules().GetInner()
		if !suggest {
			for _, r := range []core.Rule{rules.FieldsOnCorrectTypeRule, rules.ScalarLeafsRule} {
				delete(set, r.Name)
			}
			set[rules.FieldsOnCorrectTypeRuleWithoutSuggestions.Name] = rules.FieldsOnCorrectTypeRuleWithoutSuggestions.RuleFunc
			set[rules.ScalarLeafsRuleWithoutSuggestions.Name] = rules.ScalarLeafsRuleWithoutSuggestions.RuleFunc
		}
		reported := 0
		capped := func(addError core.AddErrFunc) core.AddErrFunc {
			return func(options ...core.ErrorOption) {
				reported++
				switch {
				case reported <= maxErrors:
					addError(options...)
				case reported == maxErrors+1:
					addError(core.Message("%s", fmt.Sprintf("too many validation errors: the first %d are shown; fix those and send the document again", maxErrors)))
				}
			}
		}
		out := rules.NewRules()
		for name, fn := range set {
			out.AddRule(name, func(observers *core.Events, addError core.AddErrFunc) {
				fn(observers, capped(addError))
			})
		}
		return out
	}
}
