// tz checks the zoneinfo pitfall: FROM scratch has no /usr/share/zoneinfo, so
// time.LoadLocation fails (unless the program embeds time/tzdata, which this
// one deliberately does not).
package main

import (
	"fmt"
	"os"
	"time"
)

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "tz: FAIL: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	const name = "Europe/Amsterdam"
	loc, err := time.LoadLocation(name)
	if err != nil {
		fail("time.LoadLocation(%q): %v", name, err)
	}
	winter := time.Date(2021, time.January, 15, 12, 0, 0, 0, time.UTC).In(loc)
	summer := time.Date(2021, time.July, 15, 12, 0, 0, 0, time.UTC).In(loc)
	w, s := winter.Format("MST"), summer.Format("MST")
	if w != "CET" || s != "CEST" {
		fail("%s: got %s/%s, want CET/CEST", name, w, s)
	}
	if got := winter.Format("15:04 -0700"); got != "13:00 +0100" {
		fail("%s: January noon UTC is %s, want 13:00 +0100", name, got)
	}
	fmt.Printf("tz: %s %s %s\n", name, w, s)
}
