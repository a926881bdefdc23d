import Distributed
import Foundation
import NIOCore
import NIOFoundationCompat

/// How argument and result values are turned into bytes: JSON, with the actor system available to decode
/// actor references.
struct Serialization: Sendable {
    private let userInfo: [CodingUserInfoKey: any Sendable]

    init(system: ClusterSystem?) {
        if let system {
            self.userInfo = [.actorSystemKey: system]
        } else {
            self.userInfo = [:]
        }
    }

    func encode<Value: Encodable>(_ value: Value) throws -> ByteBuffer {
        do {
            return try ByteBuffer(data: JSONEncoder().encode(value))
        } catch {
            throw RuntimeError(.serializationFailed, "could not encode a \(Value.self): \(error)")
        }
    }

    func decode<Value: Decodable>(_ type: Value.Type, from buffer: ByteBuffer) throws -> Value {
        let decoder = JSONDecoder()
        decoder.userInfo = self.userInfo
        do {
            return try decoder.decode(Value.self, from: buffer)
        } catch {
            throw RuntimeError(.serializationFailed, "could not decode a \(Value.self): \(error)")
        }
    }
}
