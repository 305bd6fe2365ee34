package mysql

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mysql-client-server/mysql-client-server/components/internal/validate"
)

// Limits MySQL 8.0 and MariaDB both accept.
const (
	// MaxUserNameLength is the longest account name, in characters (MySQL 8.0).
	MaxUserNameLength = 32
	// MaxDatabaseNameLength is the longest database name, in characters.
	MaxDatabaseNameLength = 64
	// MinPasswordLength is the shortest password we accept.
	MinPasswordLength = 12
)

// reservedUsers are accounts that the server itself owns.
var reservedUsers = map[string]bool{
	"root": true, "mysql.sys": true, "mysql.session": true, "mysql.infoschema": true,
	"mariadb.sys": true, "debian-sys-maint": true, "mysql": true,
}

// ValidateUserName checks an account name: 1 to 32 characters of valid UTF-8,
// no NUL or line break, not one the server reserves. Quotes, backslashes and
// other punctuation are allowed: every script quotes them.
func ValidateUserName(s string) error {
	switch {
	case s == "":
		return fmt.Errorf("is empty: expected 1-%d characters", MaxUserNameLength)
	case !utf8.ValidString(s):
		return fmt.Errorf("is not valid UTF-8")
	case utf8.RuneCountInString(s) > MaxUserNameLength:
		return fmt.Errorf("is %d characters long: expected at most %d", utf8.RuneCountInString(s), MaxUserNameLength)
	case strings.ContainsAny(s, "\x00\n\r"):
		return fmt.Errorf("contains NUL or a line break: expected printable characters")
	case reservedUsers[strings.ToLower(s)]:
		return fmt.Errorf("%q is reserved by the server: choose another name", s)
	case strings.HasPrefix(strings.ToLower(s), ReplicationUserPrefix):
		return fmt.Errorf("%q: names starting with %s are the replicas' accounts: choose another name", s, ReplicationUserPrefix)
	}
	return nil
}

// ReplicationUserPrefix starts each replica's replication account name; the
// replica's server_id follows.
const ReplicationUserPrefix = "mcs_repl_"

// reservedSchemas are the server's own databases: an account with ALL on one
// of them could read every password hash (mysql) or fails only on the host
// (sys, performance_schema, information_schema).
var reservedSchemas = map[string]bool{
	"mysql": true, "sys": true, "information_schema": true, "performance_schema": true,
}

// ValidateDatabaseName checks a database name: 1 to 64 characters of valid
// UTF-8, no NUL, line break, '/', '\', '.' or backtick, no trailing space,
// not one of the server's own.
func ValidateDatabaseName(s string) error {
	switch {
	case s == "":
		return fmt.Errorf("is empty: expected 1-%d characters", MaxDatabaseNameLength)
	case !utf8.ValidString(s):
		return fmt.Errorf("is not valid UTF-8")
	case utf8.RuneCountInString(s) > MaxDatabaseNameLength:
		return fmt.Errorf("is %d characters long: expected at most %d", utf8.RuneCountInString(s), MaxDatabaseNameLength)
	case strings.ContainsAny(s, "\x00\n\r/\\.`"):
		return fmt.Errorf("contains NUL, a line break, '/', '\\', '.' or '`': expected letters, digits, '_' or '$'")
	case strings.HasSuffix(s, " "):
		return fmt.Errorf("ends with a space")
	case reservedSchemas[strings.ToLower(s)]:
		return fmt.Errorf("%q is the server's own schema: expected a database of the application's, such as app", s)
	}
	return nil
}

// ValidatePassword checks a password: at least 12 characters, no NUL.
func ValidatePassword(s string) error {
	switch {
	case utf8.RuneCountInString(s) < MinPasswordLength:
		return fmt.Errorf("is too short: expected at least %d characters", MinPasswordLength)
	case strings.Contains(s, "\x00"):
		return fmt.Errorf("contains NUL")
	}
	return nil
}

// checked validates a string input: at once when its value is known now (a
// plain pulumi.String), else when it resolves, failing the deployment.
func checked(field string, in pulumi.StringInput, check func(string) error) (pulumi.StringOutput, error) {
	if s, ok := in.(pulumi.String); ok {
		if err := check(string(s)); err != nil {
			return pulumi.StringOutput{}, fmt.Errorf("%s: %w", field, err)
		}
	}
	return in.ToStringOutput().ApplyT(func(s string) (string, error) {
		if err := check(s); err != nil {
			return "", fmt.Errorf("%s: %w", field, err)
		}
		return s, nil
	}).(pulumi.StringOutput), nil
}

// ValidatePort checks the port a server listens on (ServerArgs.Port), for a
// component that opens it before the server exists.
func ValidatePort(p int) error { return validate.MySQLPort(p) }
