package backup

import (
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Proof is what the store holds of the backups, as backup-proof.sh reads it
// on the server: the newest complete backup and its restore check.
type Proof struct {
	// Last is when the newest complete backup was taken (ISO 8601, UTC).
	Last string `json:"last" pulumi:"last"`
	// Name is its name, which a restore takes.
	Name string `json:"name" pulumi:"name"`
	// Engine is the engine it was taken from: mysql or mariadb.
	Engine string `json:"engine" pulumi:"engine"`
	// SizeBytes is its compressed size in the store.
	SizeBytes int `json:"sizeBytes" pulumi:"sizeBytes"`
	// GTIDPosition is the GTID set it holds, exactly.
	GTIDPosition string `json:"gtidPosition" pulumi:"gtidPosition"`
	// Verified says that it was restored from the store, started, and that
	// every table's checksum matched the one recorded when it was taken.
	Verified bool `json:"verified" pulumi:"verified"`
	// RestoreSeconds is how long that restore check took.
	RestoreSeconds float64 `json:"restoreSeconds" pulumi:"restoreSeconds"`
	// Diagnosis says why the check failed (download, corrupt object,
	// restore, checksum mismatch); empty when verified.
	Diagnosis string `json:"diagnosis" pulumi:"diagnosis"`
	// Oldest is when the oldest backup kept was taken.
	Oldest string `json:"oldest" pulumi:"oldest"`
	// Count is how many complete backups the store keeps.
	Count int `json:"count" pulumi:"count"`
	// LastError is the last attempt's error, where it failed: that attempt
	// left no backup, and the next schedule tries again.
	LastError string `json:"lastError" pulumi:"lastError"`
}

// ParseProof reads the JSON line backup-proof.sh prints.
func ParseProof(s string) (Proof, error) {
	var p Proof
	if err := json.Unmarshal([]byte(s), &p); err != nil {
		return p, fmt.Errorf("the backups' proof is not JSON: %q", s)
	}
	return p, nil
}

// ProofOutput is a Proof output.
type ProofOutput struct{ *pulumi.OutputState }

// ElementType is Proof.
func (ProofOutput) ElementType() reflect.Type { return reflect.TypeOf((*Proof)(nil)).Elem() }

func init() { pulumi.RegisterOutputType(ProofOutput{}) }
