import Distributed
import Synchronization

/// A distributed method that inbound calls reach without `executeDistributedTarget`.
///
/// The runtime's generic path demangles the method's name to find its parameter and return types on every
/// call. A registered method is typed at registration instead, so a call decodes its one argument, calls the
/// method on the local actor (through its distributed thunk, so its role check still runs) and encodes the
/// result. Outcomes match the generic path's: a thrown error is shared the same way.
struct DirectMethod: Sendable {
    let run:
        @Sendable (_ actor: any DistributedActor, _ call: Wire.Call, _ serialization: Serialization) async
            -> Wire.Reply.Outcome
}

extension ClusterSystem {
    /// Lets calls to `method` of `Act` skip the runtime's per-call demangling.
    ///
    /// `method` is the Swift name as `RemoteCallTarget` prints it, such as `"deliver(_:)"`; `body` calls it:
    ///
    /// ```swift
    /// system.registerDirectMethod("echo(_:)", of: EchoActor.self) { actor, payload in try await actor.echo(payload) }
    /// ```
    ///
    /// A name that matches no call is harmless (calls take the generic path); `transportStats` counts both
    /// paths, so a test can prove the registration is hit.
    public func registerDirectMethod<Act, Argument, Result>(
        _ method: String,
        of type: Act.Type,
        _ body: @escaping @Sendable (Act, Argument) async throws -> Result
    )
    where
        Act: DistributedActor, Act.ActorSystem == ClusterSystem, Argument: Codable & Sendable,
        Result: Codable & Sendable
    {
        let name = "\(String(reflecting: Act.self)).\(method)"
        let entry = DirectMethod { actor, call, serialization in
            guard let actor = actor as? Act else {
                return .error(.runtime(RuntimeError(.badCall, "\(call.recipient) is not a \(Act.self)")))
            }
            guard call.arguments.count == 1, call.genericSubstitutions.isEmpty else {
                return .error(
                    .runtime(
                        RuntimeError(
                            .badCall, "call to \(call.recipient) has \(call.arguments.count) arguments, expected 1")))
            }
            let argument: Argument
            do {
                argument = try serialization.decode(Argument.self, from: call.arguments[0])
            } catch {
                return .error(.runtime(error as? RuntimeError ?? RuntimeError(.badCall, "cannot decode the argument")))
            }
            let result: Result
            do {
                result = try await body(actor, argument)
            } catch {
                return .error(RemoteError(sharing: error))
            }
            do {
                return .value(try serialization.encode(result))
            } catch {
                return .error(
                    .runtime(error as? RuntimeError ?? RuntimeError(.serializationFailed, "cannot encode the result")))
            }
        }
        self.directMethods.withLock { $0[name] = entry }
    }

    /// The registered method a call target names, if any. Run once per interned target per connection: the
    /// lookup demangles the name once.
    func directMethod(for target: String) -> DirectMethod? {
        let methods = self.directMethods.withLock { $0 }
        // Only a name that carries a registered method's base name (as every mangling of it does) is demangled:
        // most targets are not direct, and the runtime's demangler leaks a few bytes on some malformed names.
        guard methods.keys.contains(where: { target.contains(Self.baseName(of: $0)) }) else { return nil }
        return methods[RemoteCallTarget(target).description]
    }

    /// `deliver` of `"ActorRuntime.MailboxEndpoint.deliver(_:)"`.
    static func baseName(of method: String) -> Substring {
        let name = method.prefix { $0 != "(" }
        return name.lastIndex(of: ".").map { name[name.index(after: $0)...] } ?? name
    }
}
