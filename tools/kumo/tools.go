//go:build tools

// Package kumo pins kumo (github.com/sivchari/kumo), an independent AWS
// emulator, for the fleet's smoke test against it (fleet/ecs/kumo_test.go):
// its ECS records tasks but starts nothing. It is a module of its own so its
// many dependencies stay out of loadgen's go.mod; scripts/kumo.sh builds it.
package kumo

import _ "github.com/sivchari/kumo/cmd/kumo"
