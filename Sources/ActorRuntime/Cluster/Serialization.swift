import Distributed
import NIOCore

/// How argument and result values become bytes: `BinaryFormat`, with the actor system available to decode
/// actor references.
struct Serialization: Sendable {
    private let system: ClusterSystem?

    init(system: ClusterSystem?) {
        self.system = system
    }

    func encode<Value: Encodable>(_ value: Value) throws -> ByteBuffer {
        do {
            return try BinaryEncoder().encode(value)
        } catch {
            throw RuntimeError(.serializationFailed, "could not encode a \(Value.self): \(error)")
        }
    }

    func decode<Value: Decodable>(_ type: Value.Type, from buffer: ByteBuffer) throws -> Value {
        var decoder = BinaryDecoder()
        if let system = self.system { decoder.userInfo[.actorSystemKey] = system }
        do {
            return try decoder.decode(Value.self, from: buffer)
        } catch {
            throw RuntimeError(.serializationFailed, "could not decode a \(Value.self): \(error)")
        }
    }
}
