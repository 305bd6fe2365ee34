package host

import (
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Store is an S3 bucket prefix that a platform gives the server for its
// backups: an S3 bucket on AWS, an S3 gateway host on the local platform.
// The backup component reaches both through the same S3 client.
type Store struct {
	// Endpoint is the S3 endpoint (https://...).
	Endpoint pulumi.StringOutput
	// Region is the S3 region.
	Region pulumi.StringOutput
	// Bucket is the bucket.
	Bucket pulumi.StringOutput
	// Prefix is the server's prefix in the bucket, without slashes around it:
	// the only part of the bucket it may write and read.
	Prefix pulumi.StringOutput
	// AccessKey and SecretKey are the store's credentials for the server,
	// secrets; both empty where the server has credentials of its own (an
	// EC2 instance profile).
	AccessKey pulumi.StringOutput
	// SecretKey is AccessKey's secret, a secret.
	SecretKey pulumi.StringOutput
	// CACert is the CA (PEM) that signed the store's certificate; empty
	// means the system's CAs.
	CACert pulumi.StringOutput
	// Ready is what must exist before the server uses the store.
	Ready []pulumi.Resource
	// Reader is StoreSpec.Reader's read-only access to the same objects;
	// nil without a reader.
	Reader *StoreAccess
}

// StoreAccess is a host's way into a store: the endpoint it reaches and
// its credentials, which may be read-only.
type StoreAccess struct {
	// Endpoint is the S3 endpoint the host reaches (http:// only on the
	// host's own loopback).
	Endpoint pulumi.StringOutput
	// AccessKey and SecretKey are the host's credentials, secrets; both
	// empty where the host has its own (an EC2 instance profile).
	AccessKey pulumi.StringOutput
	// SecretKey is AccessKey's secret, a secret.
	SecretKey pulumi.StringOutput
	// CACert is the CA (PEM) of the endpoint's certificate; empty means
	// the system's CAs, or no TLS.
	CACert pulumi.StringOutput
	// Ready is what must exist before the host uses the store.
	Ready []pulumi.Resource
}

// Signer signs a certificate request (PEM) for a service at address with the
// stack's CA, as parent's child of that name, and returns the certificate.
type Signer func(ctx *pulumi.Context, parent pulumi.Resource, name string, csr, address pulumi.StringInput) (pulumi.StringOutput, error)

// StoreSpec asks a platform for a backup store.
type StoreSpec struct {
	// Name is the store's logical name (its host's, on the local platform).
	Name string
	// Server is the one host that may write and read the store.
	Server *Host
	// Reader, when set, is a host that may read the server's backups and
	// write nothing (RoleRestore, made with Spec.ReadsBackups).
	Reader *Host
	// Keys is the stack's SSH key pair (for a store that is a host).
	Keys KeyMaterial
	// Sign signs the store's TLS certificate with the stack's CA, where the
	// store serves TLS of its own (the local platform).
	Sign Signer
	// CACert is the stack's CA certificate (PEM).
	CACert pulumi.StringInput
	// Retention is how long the store keeps an object (an AWS lifecycle
	// rule; the backup component prunes by it everywhere).
	Retention time.Duration
	// KeepOnDestroy keeps the store's data when the stack is destroyed.
	KeepOnDestroy bool
}

// Stores is a platform that makes backup stores: aws.Platform and
// local.Platform.
type Stores interface {
	// CheckStore says, before anything is created, whether the platform
	// can make a store here.
	CheckStore() error
	// NewStore makes the backup store, parented to parent.
	NewStore(ctx *pulumi.Context, parent pulumi.Resource, spec StoreSpec) (*Store, error)
}
