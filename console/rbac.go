package console

import "github.com/ferry-rpa/ferry"

// Access says who may use an endpoint.
type Access struct {
	// Public endpoints need no login (the login page, assets, health).
	Public bool
	// Roles may use the endpoint; every other role gets 403. Empty on a
	// non-public endpoint: nobody may.
	Roles []ferry.Role
}

// Matrix is the permission matrix, the one place that says which role may
// use which endpoint (a route pattern as the router registers it). An
// endpoint without an entry is denied to everyone: the RBAC test fails on
// a registered route the matrix does not name.
func Matrix() map[string]Access {
	var (
		all     = []ferry.Role{ferry.RoleViewer, ferry.RoleFinance, ferry.RoleOps, ferry.RoleAdmin}
		finance = []ferry.Role{ferry.RoleFinance, ferry.RoleOps, ferry.RoleAdmin}
		admin   = []ferry.Role{ferry.RoleAdmin}
		ops     = []ferry.Role{ferry.RoleOps, ferry.RoleAdmin}
		public  = Access{Public: true}
	)
	return map[string]Access{
		"GET /login":         public,
		"POST /login":        public,
		"GET /assets/":       public,
		"GET /healthz":       public,
		"POST /logout":       {Roles: all},
		"GET /{$}":           {Roles: all},
		"GET /runs":          {Roles: all},
		"GET /runs/{id}":     {Roles: all},
		"POST /runs":         {Roles: finance},
		"GET /users":         {Roles: admin},
		"POST /users":        {Roles: admin},
		"POST /users/{id}":   {Roles: admin},
		"GET /audit":         {Roles: admin},
		"GET /audit/export":  {Roles: admin},
		"GET /api/runs":      {Roles: all},
		"GET /api/runs/{id}": {Roles: all},
		"POST /api/runs":     {Roles: finance},
		"GET /api/audit":     {Roles: admin},

		"GET /readyz":                     public,
		"GET /metrics":                    {Roles: all},
		"GET /runs/{id}/events":           {Roles: all},
		"GET /runs/{id}/artifacts/{aid}":  {Roles: finance},
		"GET /records":                    {Roles: finance},
		"GET /records/export":             {Roles: finance},
		"GET /runs/{id}/evidence":         {Roles: ops},
		"POST /runs/{id}/bundle-test":     {Roles: ops},
		"GET /runs/{id}/dom/{aid}":        {Roles: ops},
		"GET /failures":                   {Roles: ops},
		"GET /deliveries":                 {Roles: ops},
		"POST /deliveries/retry":          {Roles: ops},
		"GET /heals":                      {Roles: ops},
		"POST /heals/{id}":                {Roles: ops},
		"GET /selectors":                  {Roles: ops},
		"GET /selectors/{site}":           {Roles: ops},
		"POST /selectors/{site}":          {Roles: ops},
		"GET /selectors/{site}/diff":      {Roles: ops},
		"POST /selectors/{site}/rollback": {Roles: ops},

		// The credential vault (admins only) and single sign-on (its
		// routes are registered only when OIDC is configured).
		"GET /credentials":         {Roles: admin},
		"POST /credentials":        {Roles: admin},
		"POST /credentials/{name}": {Roles: admin},
		"GET /login/oidc":          public,
		"GET /login/oidc/callback": public,
		// F14: waiting runs, statements, invoices, the canary.
		"POST /runs/{id}/answer":         {Roles: finance},
		"GET /runs/{id}/challenge/image": {Roles: finance},
		"GET /statements":                {Roles: finance},
		"GET /statements/export":         {Roles: finance},
		"GET /statements/{run}/{id}":     {Roles: finance},
		"GET /invoices":                  {Roles: finance},
		"GET /invoices/export":           {Roles: finance},
		"GET /invoices/{key}":            {Roles: finance},
		"POST /selectors/{site}/canary":  {Roles: ops},
		// Schedules, the sinks' status and River's queue view (A14).
		"GET /schedules":       {Roles: admin},
		"POST /schedules":      {Roles: admin},
		"GET /schedules/{id}":  {Roles: admin},
		"POST /schedules/{id}": {Roles: admin},
		"GET /sinks":           {Roles: ops},
		"GET /admin/river/":    {Roles: admin},
	}
}

// allows reports whether role may use an endpoint with access a.
func (a Access) allows(role ferry.Role) bool {
	for _, r := range a.Roles {
		if r == role {
			return true
		}
	}
	return false
}
