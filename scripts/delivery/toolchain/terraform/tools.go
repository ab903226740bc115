//go:build tools

// Package tools pins the module that the delivery checks build; it is never compiled on its own.
package tools

import _ "github.com/hashicorp/terraform"
