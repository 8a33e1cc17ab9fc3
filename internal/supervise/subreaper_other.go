//go:build unix && !linux

package supervise

import "os"

// extraForwardedSignals: no others outside Linux.
var extraForwardedSignals []os.Signal

// setSubreaper does nothing outside Linux, which alone has
// PR_SET_CHILD_SUBREAPER; orphans then go to the system's init.
func setSubreaper() {}
