/// A problem with how Quorum was configured or with what it was pointed at.
///
/// The message is one line a person can act on; the command-line front end prints it and exits non-zero.
public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
