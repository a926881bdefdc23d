@_exported import SimpleHTTPClient

/// The tests' name for the HTTP client.
public typealias HTTPTestClient = HTTPConnection
public typealias HTTPTestClientError = HTTPConnectionError
