/// A message type this service does not handle; the message is retried and then parked as a dead letter,
/// never silently dropped.
public struct UnexpectedMessage: Error, CustomStringConvertible {
    public var service: String
    public var type: String
    public var description: String { "\(self.service) does not handle \(self.type)" }
}
