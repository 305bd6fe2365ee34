package host

import "fmt"

// Engine is the database server a stack's hosts run.
type Engine string

const (
	// EngineMySQL is Oracle's MySQL: 8.0 from Ubuntu 22.04 on AWS, 9.x from
	// Debian unstable on the local platform. The default.
	EngineMySQL Engine = "mysql"
	// EngineMariaDB is MariaDB: Ubuntu's mariadb-server on AWS, Debian 12's
	// 10.11 on the local platform.
	EngineMariaDB Engine = "mariadb"
	// DefaultEngine is the engine of a new stack.
	DefaultEngine = EngineMySQL
)

// OrDefault is the engine, or DefaultEngine where it is empty.
func (e Engine) OrDefault() Engine {
	if e == "" {
		return DefaultEngine
	}
	return e
}

// ParseEngine checks an engine name: mysql or mariadb.
func ParseEngine(s string) (Engine, error) {
	switch e := Engine(s); e {
	case EngineMySQL, EngineMariaDB:
		return e, nil
	}
	return "", fmt.Errorf("%q is not an engine: expected mysql or mariadb", s)
}

// EngineMismatch is the error for a stack whose server already holds data
// of another engine: the engine is never changed under existing data.
func EngineMismatch(server string, asked, deployed Engine, where string) error {
	return fmt.Errorf("%q, but the server %s already holds %s data (%s): changing the engine would replace the database. "+
		"To keep it, set engine back: pulumi config set engine %s. To migrate, dump it (mysqldump --all-databases on the server), "+
		"deploy a new stack with engine %s, load the dump there, then destroy this one",
		asked, server, deployed, where, deployed, asked)
}
