import NIOCore

extension Wire {
    /// How a call frame names its recipient and method.
    ///
    /// The first call to a (recipient, method) pair on a connection defines it; every later call sends only its
    /// small id. Ids are implicit (the n-th definition is id n), so a define can never name a wrong one.
    public enum TargetReference: Sendable, Equatable {
        /// The names follow and are not remembered (the connection's table is full).
        case inline
        /// The names follow and become the next id.
        case define
        /// Only the id of an earlier definition follows.
        case use(UInt32)

        var mode: UInt8 {
            switch self {
            case .inline: 0
            case .define: 1
            case .use: 2
            }
        }
    }

    /// A recipient path and a method identifier: what the interning tables key on.
    public struct CallTarget: Hashable, Sendable {
        public var recipient: String
        public var method: String

        public init(recipient: String, method: String) {
            self.recipient = recipient
            self.method = method
        }
    }

    /// Most targets one connection remembers in each direction; a sender past it sends names inline.
    public static let maxInternedTargets = 1024

    /// The sending side of interning: which targets this connection has defined. Lives with the connection's
    /// frame encoder, on its event loop, so definitions reach the socket in the order ids were given.
    public struct TargetInterner: Sendable {
        private var ids: [CallTarget: UInt32] = [:]
        public let capacity: Int

        public init(capacity: Int = Wire.maxInternedTargets) {
            self.capacity = capacity
        }

        /// How to send the next call to `target`; a `.define` is remembered at once.
        public mutating func reference(for target: CallTarget) -> TargetReference {
            if let id = self.ids[target] { return .use(id) }
            guard self.ids.count < self.capacity else { return .inline }
            self.ids[target] = UInt32(self.ids.count)
            return .define
        }
    }

    /// The receiving side: the targets the peer has defined, by id.
    public struct TargetTable: Sendable {
        public private(set) var targets: [CallTarget] = []
        public let capacity: Int

        public init(capacity: Int = Wire.maxInternedTargets) {
            self.capacity = capacity
        }

        /// Records a definition and returns its id.
        mutating func define(_ target: CallTarget) throws -> UInt32 {
            guard self.targets.count < self.capacity else {
                throw WireError.malformed("more than \(self.capacity) call targets defined on one connection")
            }
            self.targets.append(target)
            return UInt32(self.targets.count - 1)
        }

        func target(_ id: UInt32) throws -> CallTarget {
            guard Int(id) < self.targets.count else {
                throw WireError.malformed(
                    "call target \(id) used before it was defined (\(self.targets.count) defined)")
            }
            return self.targets[Int(id)]
        }
    }
}
