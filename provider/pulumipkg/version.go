package pulumipkg

// Version is the package's version: the plugin's, the schema's and the
// SDKs'. It lives here alone; `make provider` reads it from this file.
const Version = "0.1.0"
