package httpapi

// The JSON shapes that the admin API shares with the exec commands' --json
// output are in server/apijson. Here are only the ones the API alone answers
// with; like those, fields are only ever added.

// removedDeviceJSON answers the removal of a device (the same fields as
// `device remove --json`).
type removedDeviceJSON struct {
	User    string `json:"user"`
	Removed string `json:"removed"`
}
