package local

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pulumi/pulumi-command/sdk/go/command/local"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/mysql-client-server/mysql-client-server/components/host"
)

// ImageType is the type token of Image.
const ImageType = "mysql-client-server:local:Image"

// DefaultImageCache is where the images live, one directory each under
// images/: a cache of the machine's, shared by every stack, kept by
// `pulumi destroy` (make clean-image removes it).
const DefaultImageCache = "/var/cache/mysql-client-server"

// The image of the mysql engine: Debian unstable, which ships Oracle's
// MySQL, with what a host runs. imageFormat counts changes of the image's
// own layout (the template data directory, the mount points): a new format,
// suite or package list is a new image.
const (
	imageSuite  = "sid"
	imageFormat = "1"
)

var imagePackages = []string{"mysql-server", "mysql-client", "openssh-server", "iproute2", "openssl", "procps"}

// ImageName is the directory name of the image this code builds.
func ImageName() string {
	sum := sha256.Sum256([]byte(imageFormat + "\x00" + imageSuite + "\x00" + strings.Join(imagePackages, " ")))
	return "mysql-" + imageSuite + "-" + hex.EncodeToString(sum[:])[:10]
}

// ImageArgs configures an Image.
type ImageArgs struct {
	// Cache is the directory that holds the images. Defaults to
	// DefaultImageCache.
	Cache string
}

// Image is the root filesystem the mysql engine's hosts run in, built once
// per machine by debootstrap (about 60 s and 730 MB) and reused by every
// stack. Deleting it keeps it: it is a cache.
type Image struct {
	pulumi.ResourceState

	// Path is the image's directory.
	Path pulumi.StringOutput `pulumi:"path"`
	// Version is the image's `mysqld --version`.
	Version pulumi.StringOutput `pulumi:"version"`
}

// NewImage builds the image, or finds it built.
func NewImage(ctx *pulumi.Context, name string, args *ImageArgs, opts ...pulumi.ResourceOption) (*Image, error) {
	cache := DefaultImageCache
	if args != nil && args.Cache != "" {
		cache = args.Cache
	}
	if err := validStateDir(cache); err != nil {
		return nil, fmt.Errorf("ImageArgs.Cache: %q: %w", cache, err)
	}
	img := &Image{}
	if err := ctx.RegisterComponentResource(ImageType, name, img, opts...); err != nil {
		return nil, err
	}
	cmd, err := local.NewCommand(ctx, name+"-build", &local.CommandArgs{
		Create: script("image-build.sh"),
		Environment: pulumi.StringMap{
			"MCS_IMAGE_CACHE":    pulumi.String(cache),
			"MCS_IMAGE_NAME":     pulumi.String(ImageName()),
			"MCS_IMAGE_SUITE":    pulumi.String(imageSuite),
			"MCS_IMAGE_PACKAGES": pulumi.String(strings.Join(imagePackages, " ")),
		},
		Interpreter: bashC,
	}, pulumi.Parent(img))
	if err != nil {
		return nil, err
	}
	field := func(key string) pulumi.StringOutput {
		return cmd.Stdout.ApplyT(func(out string) (string, error) {
			for _, line := range strings.Split(out, "\n") {
				if v, ok := strings.CutPrefix(line, key+"="); ok {
					return v, nil
				}
			}
			return "", fmt.Errorf("image-build.sh printed no %s= line", key)
		}).(pulumi.StringOutput)
	}
	img.Path = field("path")
	img.Version = field("version")
	return img, ctx.RegisterResourceOutputs(img, pulumi.Map{"path": img.Path, "version": img.Version})
}

// deployedEngine reads which engine made a host's data directory: MySQL 8
// and later keep the data dictionary in mysql.ibd, MariaDB keeps Aria's
// control file and .frm tables. "" when the directory holds no data.
func deployedEngine(dataDir string) host.Engine {
	exists := func(name string) bool {
		_, err := os.Stat(filepath.Join(dataDir, name))
		return err == nil
	}
	switch {
	case exists("mysql.ibd"):
		return host.EngineMySQL
	case exists("aria_log_control"), exists("mysql/global_priv.frm"):
		return host.EngineMariaDB
	}
	return ""
}
