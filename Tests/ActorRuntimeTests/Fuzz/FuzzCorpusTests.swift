import ActorRuntime
import ActorRuntimeTestSupport
import Foundation
import Testing

/// Every input in `Fuzz/corpus` (the fuzzer's seeds, and any crash it ever found) goes through the fuzzed code
/// again on every test run.
@Suite struct FuzzCorpusTests {
    @Test func theCorpusReplaysWithoutACrash() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(
            "../../../Fuzz/corpus")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        #expect(files.count >= 10)
        for file in files {
            WireFuzzing.feed(Array(try Data(contentsOf: folder.appendingPathComponent(file))))
        }
    }

    @Test func everyPrefixAndBitFlipOfAValidCallAndReplyDecodesWithoutACrash() {
        let valid = WireFuzzEntry.serialize(WireFuzzEntry.seedFrames())
        #expect(valid.count > 100)
        for length in 0...valid.count { WireFuzzing.feed(Array(valid.prefix(length))) }
        for index in valid.indices {
            for bit in 0..<8 {
                var mutated = valid
                mutated[index] ^= UInt8(1 << bit)
                WireFuzzing.feed(mutated)
            }
        }
    }
}
