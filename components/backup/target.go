package backup

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ErrRestoreNeedsPassphrase is CheckRestore's error for a restore without
// the backups' passphrase.
var ErrRestoreNeedsPassphrase = errors.New("restoreFrom needs the passphrase the backups were made with " +
	"(the earlier stack's backupPassphrase output), set as a secret")

// CheckRestore checks a RestoreFrom and its passphrase; an empty target is
// no restore. Its errors are CheckTarget's, or ErrRestoreNeedsPassphrase.
func CheckRestore(target string, passphrase pulumi.StringInput) error {
	if target == "" {
		return nil
	}
	if err := CheckTarget(target); err != nil {
		return err
	}
	if passphrase == nil {
		return ErrRestoreNeedsPassphrase
	}
	return nil
}

var (
	backupName = regexp.MustCompile(`^[0-9]{8}T[0-9]{6}Z$`)
	gtidSet    = regexp.MustCompile(`^[0-9A-Za-z:,.-]+$`)
)

// CheckTarget checks a restore's target, as the restore scripts take it:
// "latest" (the newest backup), a backup's name ("20261201T163000Z"),
// "time=<RFC 3339>" or "time=now" (the newest backup before then, and the
// archived binary logs up to it) or "gtid=<GTID set>".
func CheckTarget(target string) error {
	when, isTime := strings.CutPrefix(target, "time=")
	set, isGTID := strings.CutPrefix(target, "gtid=")
	switch {
	case target == "latest", backupName.MatchString(target):
		return nil
	case isTime:
		if _, err := time.Parse(time.RFC3339, when); err == nil || when == "now" {
			return nil
		}
	case isGTID && gtidSet.MatchString(set):
		return nil
	}
	return fmt.Errorf("%q: expected latest, a backup's name such as 20261201T163000Z, "+
		"time=2026-12-01T16:30:00Z (or time=now: everything archived) or gtid=<GTID set>", target)
}

// MinPassphraseLength is the shortest passphrase the backups take.
const MinPassphraseLength = 16

// ValidatePassphrase checks a backup passphrase: at least
// MinPassphraseLength characters, on one line (the scripts read it as one
// line from stdin, so a second line would be lost). Its errors never
// contain the passphrase.
func ValidatePassphrase(s string) error {
	if len(s) < MinPassphraseLength || strings.ContainsAny(s, "\n\r") {
		return fmt.Errorf("expected at least %d characters on one line", MinPassphraseLength)
	}
	return nil
}
