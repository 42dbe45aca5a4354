@_exported import StrataClient

/// The tests' name for the client of `StrataClient`.
public typealias HTTPTestClient = HTTPClient
