//go:build unix && !linux && !darwin && !dragonfly && !freebsd && !netbsd && !openbsd

package supervise

import "os"

// PollNowSignal is nil here: no signal is free for it, so no poll can be
// asked for.
var PollNowSignal os.Signal
