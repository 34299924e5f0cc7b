// A header value with CR, LF or NUL would split the message it is written into (response splitting,
// request smuggling). Values here come from llhttp-parsed messages or from the gateway itself, so
// they cannot hold these; checked anyway, on every value. Three indexOf calls rather than a regular
// expression: measured about 2.5 times faster on the values of a proxied request (a 600-byte token
// among them), and this runs for every header of every request and answer.
export function unsafeHeaderValue(value: string): boolean {
  return value.indexOf('\r') !== -1 || value.indexOf('\n') !== -1 || value.indexOf('\0') !== -1;
}
