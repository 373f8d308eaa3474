package graph_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/seed"
	"github.com/shopgraph/shopgraph/ent/user"
)

const (
	signUpMutation = `mutation($input: SignUpInput!) {
		signUp(input: $input) { token expiresAt user { id name } }
	}`
	signInMutation = `mutation($input: SignInInput!) {
		signIn(input: $input) { token expiresAt user { id name } }
	}`
	setUserRoleMutation = `mutation($id: ID!, $role: Role!) {
		setUserRole(input: {userId: $id, role: $role}) { user { id role } }
	}`
)

type accountUserJSON struct {
	ID, Name, Email, Role string
}

type authPayloadJSON struct {
	Token     string
	ExpiresAt time.Time
	User      accountUserJSON
}

// countUsers counts every user, without row rules.
func countUsers(t *testing.T, e *env) int {
	t.Helper()
	n, err := e.store.Client.User.Query().Count(context.Background())
	if err != nil {
		t.Fatalf("count users: got error %v, want nil", err)
	}
	return n
}

// roleSnapshot returns every user's role by ID, without row rules.
func roleSnapshot(t *testing.T, e *env) map[int]user.Role {
	t.Helper()
	users, err := e.store.Client.User.Query().All(context.Background())
	if err != nil {
		t.Fatalf("load users: got error %v, want nil", err)
	}
	out := make(map[int]user.Role, len(users))
	for _, u := range users {
		out[u.ID] = u.Role
	}
	return out
}

// checkRolesUnchanged fails the test unless every role is as before.
func checkRolesUnchanged(t *testing.T, e *env, before map[int]user.Role) {
	t.Helper()
	for id, r := range roleSnapshot(t, e) {
		if before[id] != r {
			t.Errorf("user %d: got role %s, want %s unchanged", id, r, before[id])
		}
	}
}

// viewerOf returns who the API says token belongs to.
func viewerOf(t *testing.T, e *env, token string) accountUserJSON {
	t.Helper()
	res := e.withToken(token).query(t, `{ viewer { id name email role } }`, nil)
	if len(res.Errors) > 0 || res.Status != http.StatusOK {
		t.Fatalf("got HTTP %d, errors %+v, want the token to work", res.Status, res.Errors)
	}
	var data struct{ Viewer *accountUserJSON }
	decodeJSON(t, res.Data, &data)
	if data.Viewer == nil {
		t.Fatal("got viewer null, want the token's user")
	}
	return *data.Viewer
}

// getMutation sends q over GET, as a link or a cross-site <img> would.
func getMutation(t *testing.T, e *env, authorization, q string) (int, string) {
	t.Helper()
	u := e.url + "?query=" + url.QueryEscape(q)
	var res *http.Response
	var err error
	if authorization == "" {
		res, err = http.Get(u)
	} else {
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		req.Header.Set("Authorization", authorization)
		res, err = http.DefaultClient.Do(req)
	}
	if err != nil {
		t.Fatalf("GET /graphql: got error %v, want nil", err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

func TestSignUp(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		e := demoEnv(t, dialect).anonymous()
		ctx := context.Background()
		db := e.store.Client
		input := func(email, password, name string) map[string]any {
			return map[string]any{"input": map[string]any{"email": email, "password": password, "name": name}}
		}

		t.Run("CreatesCustomerAndSignsIn", func(t *testing.T) {
			before := countUsers(t, e)
			var data struct{ SignUp authPayloadJSON }
			e.mustQuery(t, signUpMutation, input("New.Shopper@Example.COM", "correct horse battery", "New Shopper"), &data)
			p := data.SignUp
			if p.Token == "" {
				t.Fatal("got an empty token, want one")
			}
			if d := time.Until(p.ExpiresAt); d < 59*time.Minute || d > 61*time.Minute {
				t.Errorf("got expiresAt %s (in %s), want in an hour", p.ExpiresAt, d)
			}
			want := accountUserJSON{ID: p.User.ID, Name: "New Shopper", Email: "new.shopper@example.com", Role: "CUSTOMER"}
			if p.User.ID == "" || p.User.Name != want.Name {
				t.Errorf("got user %+v, want %+v", p.User, want)
			}
			if got := viewerOf(t, e, p.Token); got != want {
				t.Errorf("got viewer %+v with the new token, want %+v", got, want)
			}
			if got := countUsers(t, e); got != before+1 {
				t.Errorf("got %d users, want %d", got, before+1)
			}
			stored, err := db.User.Query().Where(user.Email("new.shopper@example.com")).Only(ctx)
			if err != nil {
				t.Fatalf("got no user stored under the lower-case email (%v), want one", err)
			}
			if gid("User", stored.ID) != p.User.ID || stored.Role != user.RoleCUSTOMER {
				t.Errorf("got stored user %d %s, want %s CUSTOMER", stored.ID, stored.Role, readable([]string{p.User.ID}))
			}
			if !strings.HasPrefix(stored.PasswordHash, "$argon2id$") || strings.Contains(stored.PasswordHash, "correct horse") {
				t.Errorf("got password hash %q, want an argon2id hash", stored.PasswordHash)
			}
			var in struct{ SignIn authPayloadJSON }
			e.mustQuery(t, signInMutation, map[string]any{"input": map[string]any{"email": "NEW.shopper@example.com", "password": "correct horse battery"}}, &in)
			if in.SignIn.User.ID != p.User.ID {
				t.Errorf("got sign-in as %s, want %s", in.SignIn.User.ID, p.User.ID)
			}
		})

		// The payload's user is the one who just proved who they are: their
		// own email and role are theirs to see.
		t.Run("PayloadShowsOwnEmailAndRole", func(t *testing.T) {
			res := e.query(t, `mutation($input: SignUpInput!) { signUp(input: $input) { user { email role } } }`,
				input("Payload.Check@example.com", "correct horse battery", "Payload Check"))
			if len(res.Errors) > 0 {
				t.Errorf("got errors %+v, want none", res.Errors)
			}
			if got, want := string(res.Data), `{"signUp":{"user":{"email":"payload.check@example.com","role":"CUSTOMER"}}}`; got != want {
				t.Errorf("got data %s, want %s", got, want)
			}
		})

		t.Run("InvalidInput", func(t *testing.T) {
			tests := []struct {
				name                      string
				email, password, fullName string
				fields                    []string
			}{
				{name: "BadEmail", email: "not-an-email", password: "correct horse battery", fullName: "Bad Email",
					fields: []string{"input.email"}},
				{name: "EmptyEmail", email: "", password: "correct horse battery", fullName: "No Email",
					fields: []string{"input.email"}},
				{name: "ShortPassword", email: "short@example.com", password: "1234567", fullName: "Short",
					fields: []string{"input.password"}},
				{name: "LongPassword", email: "long@example.com", password: strings.Repeat("p", 129), fullName: "Long",
					fields: []string{"input.password"}},
				{name: "EmptyName", email: "noname@example.com", password: "correct horse battery", fullName: "",
					fields: []string{"input.name"}},
				{name: "AllThree", email: "nope", password: "short", fullName: "",
					fields: []string{"input.email", "input.password", "input.name"}},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					before := countUsers(t, e)
					res := e.query(t, signUpMutation, input(tc.email, tc.password, tc.fullName))
					if got := res.code(t); got != "BAD_USER_INPUT" {
						t.Fatalf("got code %q, want BAD_USER_INPUT: %+v", got, res.Errors)
					}
					got := errorFields(res.Errors[0])
					for _, f := range tc.fields {
						if !slices.Contains(got, f) {
							t.Errorf("got extensions.fields %v, want one named %s", got, f)
						}
					}
					if len(got) != len(tc.fields) {
						t.Errorf("got extensions.fields %v, want exactly %v", got, tc.fields)
					}
					if after := countUsers(t, e); after != before {
						t.Errorf("got %d users, want %d: nothing written", after, before)
					}
				})
			}
		})

		t.Run("DuplicateEmail", func(t *testing.T) {
			casey := e.user(t, "customer@shopgraph.dev")
			for _, email := range []string{"customer@shopgraph.dev", "CUSTOMER@SHOPGRAPH.DEV", "Customer@ShopGraph.dev"} {
				t.Run(email, func(t *testing.T) {
					before := countUsers(t, e)
					e.expectCode(t, signUpMutation, input(email, "correct horse battery", "Impostor"), "CONFLICT")
					if after := countUsers(t, e); after != before {
						t.Errorf("got %d users, want %d: nothing written", after, before)
					}
					now := e.user(t, "customer@shopgraph.dev")
					if now.Name != casey.Name || now.PasswordHash != casey.PasswordHash || now.Role != casey.Role {
						t.Errorf("got %s changed to %q %s, want it untouched", casey.Email, now.Name, now.Role)
					}
				})
			}
		})

		t.Run("MutationOverGETIsRefused", func(t *testing.T) {
			before := countUsers(t, e)
			status, body := getMutation(t, e, "", `mutation { signUp(input: {email: "via-get@example.com", password: "correct horse battery", name: "Via GET"}) { token } }`)
			if status == http.StatusOK || !strings.Contains(body, `"errors"`) {
				t.Errorf("got HTTP %d %s, want an error status and errors", status, body)
			}
			if strings.Contains(body, `"token"`) {
				t.Errorf("got a token over GET: %s, want none", body)
			}
			if after := countUsers(t, e); after != before {
				t.Errorf("got %d users, want %d: nothing written", after, before)
			}
		})
	})
}

func TestSignIn(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		e := demoEnv(t, dialect).anonymous()
		ctx := context.Background()
		another, err := e.store.Client.User.Query().
			Where(user.RoleEQ(user.RoleCUSTOMER), user.EmailNEQ("customer@shopgraph.dev")).
			Order(user.ByID()).First(ctx)
		if err != nil {
			t.Fatalf("find another demo customer: got error %v, want nil", err)
		}
		signIn := func(email, password string) map[string]any {
			return map[string]any{"input": map[string]any{"email": email, "password": password}}
		}

		tests := []struct {
			name, email string
			user        *ent.User
		}{
			{name: "Admin", email: "admin@shopgraph.dev", user: e.user(t, "admin@shopgraph.dev")},
			{name: "Staff", email: "staff@shopgraph.dev", user: e.user(t, "staff@shopgraph.dev")},
			{name: "Customer", email: "customer@shopgraph.dev", user: e.user(t, "customer@shopgraph.dev")},
			{name: "AnotherCustomer", email: another.Email, user: another},
			{name: "EmailInAnyCase", email: "Customer@ShopGraph.DEV", user: e.user(t, "customer@shopgraph.dev")},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				var data struct{ SignIn authPayloadJSON }
				e.mustQuery(t, signInMutation, signIn(tc.email, seed.DemoPassword), &data)
				want := accountUserJSON{ID: gid("User", tc.user.ID), Name: tc.user.Name, Email: tc.user.Email, Role: string(tc.user.Role)}
				if got := data.SignIn.User; got.ID != want.ID || got.Name != want.Name {
					t.Errorf("got user %+v, want %+v", got, want)
				}
				if got := viewerOf(t, e, data.SignIn.Token); got != want {
					t.Errorf("got viewer %+v with the token, want %+v", got, want)
				}
				if want := e.clock.Now().Add(time.Hour); !data.SignIn.ExpiresAt.Equal(want) {
					t.Errorf("got expiresAt %s, want %s (an hour from the server's now)", data.SignIn.ExpiresAt, want)
				}
			})
		}

		t.Run("PayloadShowsOwnEmailAndRole", func(t *testing.T) {
			res := e.query(t, `mutation($input: SignInInput!) { signIn(input: $input) { user { email role } } }`,
				signIn("customer@shopgraph.dev", seed.DemoPassword))
			if len(res.Errors) > 0 {
				t.Errorf("got errors %+v, want none", res.Errors)
			}
			if got, want := string(res.Data), `{"signIn":{"user":{"email":"customer@shopgraph.dev","role":"CUSTOMER"}}}`; got != want {
				t.Errorf("got data %s, want %s", got, want)
			}
		})

		t.Run("WrongCredentials", func(t *testing.T) {
			tests := []struct {
				name, email, password string
			}{
				{name: "WrongPassword", email: "customer@shopgraph.dev", password: "not-the-password"},
				{name: "PasswordInOtherCase", email: "customer@shopgraph.dev", password: strings.ToUpper(seed.DemoPassword)},
				{name: "AdminWrongPassword", email: "admin@shopgraph.dev", password: seed.DemoPassword + "!"},
				{name: "UnknownEmail", email: "nobody@shopgraph.dev", password: seed.DemoPassword},
			}
			messages := map[string][]string{}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					res := e.expectCode(t, signInMutation, signIn(tc.email, tc.password), "UNAUTHENTICATED")
					if strings.Contains(string(res.Data), "token") {
						t.Errorf("got data %s, want no token", res.Data)
					}
					messages[res.Errors[0].Message] = append(messages[res.Errors[0].Message], tc.name)
				})
			}
			if len(messages) != 1 {
				t.Errorf("got messages %v, want the same one for every failure", messages)
			}
		})
	})
}

func TestSetUserRole(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		e := demoEnv(t, dialect)
		ctx := context.Background()
		db := e.store.Client
		admin := e.user(t, "admin@shopgraph.dev")
		staff := e.user(t, "staff@shopgraph.dev")
		casey := e.user(t, "customer@shopgraph.dev")
		asAdmin, asStaff, asCasey, anon := e.as(t, admin), e.as(t, staff), e.as(t, casey), e.anonymous()
		roleOf := func(u *ent.User) user.Role { return db.User.GetX(ctx, u.ID).Role }
		setRole := func(u *ent.User, role user.Role) map[string]any {
			return map[string]any{"id": gid("User", u.ID), "role": string(role)}
		}
		// mustSetRole changes a role as viewer and checks the payload and
		// the database.
		mustSetRole := func(t *testing.T, viewer *env, u *ent.User, role user.Role) {
			t.Helper()
			res := viewer.query(t, setUserRoleMutation, setRole(u, role))
			if len(res.Errors) > 0 {
				t.Fatalf("set %s to %s: got errors %+v, want none", u.Email, role, res.Errors)
			}
			var data struct {
				SetUserRole struct{ User accountUserJSON }
			}
			decodeJSON(t, res.Data, &data)
			if got, want := data.SetUserRole.User, (accountUserJSON{ID: gid("User", u.ID), Role: string(role)}); got != want {
				t.Errorf("got payload user %+v, want %+v", got, want)
			}
			if got := roleOf(u); got != role {
				t.Errorf("got %s stored as %s, want %s", u.Email, got, role)
			}
		}
		// refused asserts the change fails with code and changes nothing.
		refused := func(t *testing.T, viewer *env, u *ent.User, role user.Role, code string) response {
			t.Helper()
			before := roleSnapshot(t, e)
			res := viewer.query(t, setUserRoleMutation, setRole(u, role))
			if got := res.code(t); got != code {
				t.Errorf("got code %q, want %q: %+v", got, code, res.Errors)
			}
			if string(res.Data) != `{"setUserRole":null}` && string(res.Data) != "null" {
				t.Errorf("got data %s, want setUserRole null", res.Data)
			}
			checkRolesUnchanged(t, e, before)
			return res
		}

		t.Run("AdminPromotesCustomerToStaff", func(t *testing.T) {
			promotee, err := db.User.Query().
				Where(user.RoleEQ(user.RoleCUSTOMER), user.IDNEQ(casey.ID)).Order(user.ByID()).First(ctx)
			if err != nil {
				t.Fatalf("find a customer: got error %v, want nil", err)
			}
			// A token issued before the change: roles are read per request.
			theirs := e.as(t, promotee)
			const users = `{ users(first: 1) { totalCount } }`
			theirs.expectCode(t, users, nil, "FORBIDDEN")
			mustSetRole(t, asAdmin, promotee, user.RoleSTAFF)
			var data struct{ Users struct{ TotalCount int } }
			theirs.mustQuery(t, users, nil, &data)
			if want := countUsers(t, e); data.Users.TotalCount != want {
				t.Errorf("got totalCount %d, want %d", data.Users.TotalCount, want)
			}
		})

		t.Run("OnlyAdminsMayChangeRoles", func(t *testing.T) {
			tests := []struct {
				name   string
				viewer *env
				target *ent.User
				role   user.Role
				code   string
			}{
				{name: "StaffPromotesCustomer", viewer: asStaff, target: casey, role: user.RoleADMIN, code: "FORBIDDEN"},
				{name: "StaffPromotesThemself", viewer: asStaff, target: staff, role: user.RoleADMIN, code: "FORBIDDEN"},
				{name: "StaffDemotesAdmin", viewer: asStaff, target: admin, role: user.RoleCUSTOMER, code: "FORBIDDEN"},
				{name: "CustomerPromotesThemself", viewer: asCasey, target: casey, role: user.RoleADMIN, code: "FORBIDDEN"},
				{name: "CustomerDemotesAdmin", viewer: asCasey, target: admin, role: user.RoleCUSTOMER, code: "FORBIDDEN"},
				{name: "AnonymousPromotesCustomer", viewer: anon, target: casey, role: user.RoleADMIN, code: "UNAUTHENTICATED"},
				{name: "AnonymousDemotesAdmin", viewer: anon, target: admin, role: user.RoleCUSTOMER, code: "UNAUTHENTICATED"},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) { refused(t, tc.viewer, tc.target, tc.role, tc.code) })
			}
		})

		t.Run("LastAdminCannotBeDemoted", func(t *testing.T) {
			for _, role := range []user.Role{user.RoleSTAFF, user.RoleCUSTOMER} {
				t.Run(string(role), func(t *testing.T) {
					res := refused(t, asAdmin, admin, role, "CONFLICT")
					if got := res.Errors[0].Message; got != "cannot remove the last ADMIN" {
						t.Errorf("got message %q, want %q", got, "cannot remove the last ADMIN")
					}
				})
			}
			t.Run("KeepingADMINIsAllowed", func(t *testing.T) { mustSetRole(t, asAdmin, admin, user.RoleADMIN) })
		})

		t.Run("SecondAdminCanBeDemoted", func(t *testing.T) {
			mustSetRole(t, asAdmin, staff, user.RoleADMIN)
			mustSetRole(t, asAdmin, admin, user.RoleSTAFF) // two admins: one may go
			// admin@'s token now carries STAFF, at once.
			refused(t, asAdmin, admin, user.RoleADMIN, "FORBIDDEN")
			// staff@ is the last ADMIN now.
			refused(t, asStaff, staff, user.RoleCUSTOMER, "CONFLICT")
			// Back to the demo roles.
			mustSetRole(t, asStaff, admin, user.RoleADMIN)
			mustSetRole(t, asAdmin, staff, user.RoleSTAFF)
		})

		t.Run("ConcurrentMutualDemotionKeepsAnAdmin", func(t *testing.T) {
			// Two admins demote each other at once: one wins; the other is
			// refused, by the last-ADMIN rule (CONFLICT) or, if the winner
			// committed before its request was authenticated, as a
			// non-admin (FORBIDDEN). Never are both demoted.
			for round := range 5 {
				mustSetRole(t, asAdmin, staff, user.RoleADMIN)
				var wg sync.WaitGroup
				results := make([]response, 2)
				for i, step := range []struct {
					viewer *env
					target *ent.User
				}{{asAdmin, staff}, {asStaff, admin}} {
					wg.Go(func() {
						results[i] = step.viewer.query(t, setUserRoleMutation, setRole(step.target, user.RoleCUSTOMER))
					})
				}
				wg.Wait()
				won := 0
				for _, r := range results {
					if len(r.Errors) == 0 {
						won++
						continue
					}
					if c, _ := r.Errors[0].Extensions["code"].(string); c != "CONFLICT" && c != "FORBIDDEN" {
						t.Errorf("round %d: got %s %q, want CONFLICT or FORBIDDEN for the loser", round, c, r.Errors[0].Message)
					}
				}
				if won != 1 {
					t.Errorf("round %d: got %d demotions, want exactly 1", round, won)
				}
				if n := db.User.Query().Where(user.RoleEQ(user.RoleADMIN)).CountX(ctx); n != 1 {
					t.Fatalf("round %d: got %d admins, want 1", round, n)
				}
				// Back to the demo roles, whoever won.
				db.User.UpdateOne(admin).SetRole(user.RoleADMIN).ExecX(ctx)
				db.User.UpdateOne(staff).SetRole(user.RoleSTAFF).ExecX(ctx)
			}
		})

		t.Run("UnknownUser", func(t *testing.T) {
			before := roleSnapshot(t, e)
			asAdmin.expectCode(t, setUserRoleMutation, map[string]any{"id": gid("User", 999999999), "role": "STAFF"}, "NOT_FOUND")
			checkRolesUnchanged(t, e, before)
		})

		t.Run("InvalidUserID", func(t *testing.T) {
			for name, id := range map[string]string{
				"Malformed":   "%%%",
				"NotBase64ID": "User:1",
				"ProductID":   gid("Product", 1),
				"ZeroID":      gid("User", 0),
			} {
				t.Run(name, func(t *testing.T) {
					before := roleSnapshot(t, e)
					asAdmin.expectInvalid(t, setUserRoleMutation, map[string]any{"id": id, "role": "STAFF"}, "input.userId")
					checkRolesUnchanged(t, e, before)
				})
			}
		})

		t.Run("MutationOverGETIsRefused", func(t *testing.T) {
			q := `mutation { setUserRole(input: {userId: "` + gid("User", casey.ID) + `", role: ADMIN}) { user { id role } } }`
			for name, authorization := range map[string]string{"Admin": "Bearer " + asAdmin.token, "Anonymous": ""} {
				t.Run(name, func(t *testing.T) {
					before := roleSnapshot(t, e)
					status, body := getMutation(t, e, authorization, q)
					if status == http.StatusOK || !strings.Contains(body, `"errors"`) {
						t.Errorf("got HTTP %d %s, want an error status and errors", status, body)
					}
					checkRolesUnchanged(t, e, before)
				})
			}
		})

		t.Run("DemoRolesRestored", func(t *testing.T) {
			for u, want := range map[*ent.User]user.Role{admin: user.RoleADMIN, staff: user.RoleSTAFF, casey: user.RoleCUSTOMER} {
				if got := roleOf(u); got != want {
					t.Errorf("%s: got role %s, want %s", u.Email, got, want)
				}
			}
		})
	})
}
