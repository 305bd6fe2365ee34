package mysql

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// hostile are names full of shell and SQL punctuation that are nonetheless
// valid account names: every script quotes them, so they must be accepted.
var hostile = []string{
	`o'brien`,
	`"double"`,
	`back\slash`,
	`$HOME`,
	`$(reboot)`,
	"`uname`",
	`100%`,
	`a_b%`,
	`semi;colon`,
	`dash--comment`,
	`with space`,
	`' OR '1'='1`,
	`x'; DROP USER root; --`,
	`ünïcödé`,
	`用户`,
	`😀`,
	"tab\there",
}

func TestValidateUserName(t *testing.T) {
	for _, s := range append(hostile,
		"app", "a", strings.Repeat("u", MaxUserNameLength),
		strings.Repeat("é", MaxUserNameLength), // 32 characters, 64 bytes
		"rooty", "Mysql2", "mcs_repl", "my_mcs_repl_2",
	) {
		assert.NoError(t, ValidateUserName(s), "%q is a valid account name", s)
	}
	for _, tc := range []struct{ name, in, expect string }{
		{"empty", "", "is empty"},
		{"too long", strings.Repeat("u", MaxUserNameLength+1), "at most 32"},
		{"too long non-ASCII", strings.Repeat("é", MaxUserNameLength+1), "33 characters"},
		{"invalid UTF-8", "a\xffb", "UTF-8"},
		{"NUL", "a\x00b", "NUL"},
		{"newline", "a\nb", "line break"},
		{"carriage return", "a\rb", "line break"},
		{"root", "root", "reserved"},
		{"ROOT any case", "Root", "reserved"},
		{"mysql.sys", "mysql.sys", "reserved"},
		{"mysql.session", "mysql.session", "reserved"},
		{"mysql.infoschema", "mysql.infoschema", "reserved"},
		{"mariadb.sys", "mariadb.sys", "reserved"},
		{"debian-sys-maint", "debian-sys-maint", "reserved"},
		{"mysql", "mysql", "reserved"},
		{"a replication account's", "mcs_repl_2", "replicas' accounts"},
		{"a replication account's any case", "MCS_Repl_2", "replicas' accounts"},
		{"the replication prefix alone", ReplicationUserPrefix, "replicas' accounts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateUserName(tc.in)
			if assert.Error(t, err) {
				assert.Contains(t, err.Error(), tc.expect)
			}
		})
	}
}

func TestValidateDatabaseName(t *testing.T) {
	for _, s := range []string{
		"app", "a", "my_app", "$db", "o'brien", `"double"`, "semi;colon", "dash--comment",
		"with space", "' OR '1'='1", "ünïcödé", "数据库",
		strings.Repeat("d", MaxDatabaseNameLength),
		strings.Repeat("é", MaxDatabaseNameLength), // 64 characters, 128 bytes
	} {
		assert.NoError(t, ValidateDatabaseName(s), "%q is a valid database name", s)
	}
	for _, tc := range []struct{ name, in, expect string }{
		{"empty", "", "is empty"},
		{"too long", strings.Repeat("d", MaxDatabaseNameLength+1), "at most 64"},
		{"invalid UTF-8", "\xff", "UTF-8"},
		{"NUL", "a\x00b", "NUL"},
		{"newline", "a\nb", "line break"},
		{"carriage return", "a\rb", "line break"},
		{"slash", "a/b", "'/'"},
		{"backslash", `a\b`, "'/'"},
		{"dot", "a.b", "'/'"},
		{"backtick", "a`b", "'/'"},
		{"trailing space", "app ", "ends with a space"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateDatabaseName(tc.in)
			if assert.Error(t, err) {
				assert.Contains(t, err.Error(), tc.expect)
			}
		})
	}
}

func TestValidatePassword(t *testing.T) {
	for _, s := range append(hostile,
		strings.Repeat("p", MinPasswordLength),
		strings.Repeat("é", MinPasswordLength), // 12 characters
		`pa'ss"wo\rd $x; -- %`,
		"line\nbreak-allowed",
		"with spaces in it",
	) {
		if len([]rune(s)) < MinPasswordLength {
			s += strings.Repeat("-", MinPasswordLength)
		}
		assert.NoError(t, ValidatePassword(s), "%q is a valid password", s)
	}
	for _, tc := range []struct{ name, in, expect string }{
		{"empty", "", "at least 12"},
		{"eleven", strings.Repeat("p", MinPasswordLength-1), "at least 12"},
		{"eleven non-ASCII characters, 22 bytes", strings.Repeat("é", MinPasswordLength-1), "at least 12"},
		{"NUL", "long-enough\x00-password", "NUL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidatePassword(tc.in)
			if assert.Error(t, err) {
				assert.Contains(t, err.Error(), tc.expect)
			}
		})
	}
}
