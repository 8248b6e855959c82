import Foundation
import Torch

/// Speech synthesized offline by Debian's `espeak-ng` (about 35 ms a clip here): digit words
/// and captions spoken by several voices at several rates. Experiments cache the clips as
/// a data step's output, so each is synthesized once.
public enum Speech {
    /// espeak-ng's sample rate.
    public static let sampleRate = 22_050

    /// English voices built into espeak-ng (no MBROLA needed), with male and female variants.
    /// Hold out whole voices for a test split.
    public static let voices = ["en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-gb-x-gbclan", "en-gb-x-gbcwmd",
                                "en-029", "en-us+f2", "en-gb+f3", "en-us+m3", "en-gb-scotland+f4", "en-029+f2"]

    /// The waveform of `text` spoken by `voice` at `wordsPerMinute`, as float32 samples in [-1, 1].
    /// - Throws: ``MultimodalError/missingFile(path:hint:)`` when espeak-ng is not installed, or
    ///   ``MultimodalError/badArgument(_:)`` when it fails (an unknown voice, say).
    public static func synthesize(_ text: String, voice: String = "en-us", wordsPerMinute: Int = 160) throws -> [Float] {
        let executable = ["/usr/bin/espeak-ng", "/usr/local/bin/espeak-ng"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let executable else {
            throw MultimodalError.missingFile(path: "espeak-ng", hint: "install it with `sudo apt-get install espeak-ng` (scripts/install-deps does)")
        }
        // espeak-ng falls back silently for an unknown voice: check the name first.
        let base = String(voice.split(separator: "+").first ?? "")
        guard installedVoices(executable).contains(base) else {
            throw MultimodalError.badArgument("espeak-ng has no voice '\(base)'; `espeak-ng --voices` lists them")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-v", voice, "-s", String(wordsPerMinute), "--stdout", text]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let wav = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard process.terminationStatus == 0, !message.contains("Error") else {
            throw MultimodalError.badArgument("espeak-ng failed for voice '\(voice)': \(message.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return try pcm16(wav)
    }

    nonisolated(unsafe) private static var voiceCache: Set<String>?
    private static let voiceLock = NSLock()

    /// Language codes and voice names that `espeak-ng --voices` lists (read once).
    static func installedVoices(_ executable: String) -> Set<String> {
        voiceLock.lock()
        defer { voiceLock.unlock() }
        if let cached = voiceCache { return cached }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["--voices"]
        let out = Pipe()
        process.standardOutput = out
        var names = Set<String>()
        if (try? process.run()) != nil {
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                if fields.count >= 4 { names.insert(String(fields[1])); names.insert(String(fields[3])) }
            }
        }
        voiceCache = names
        return names
    }

    /// The samples of a 16-bit mono PCM WAV stream (sizes in the header may be placeholders,
    /// as espeak-ng writes them when streaming).
    static func pcm16(_ wav: Data) throws -> [Float] {
        let bytes = [UInt8](wav)
        guard bytes.count >= 44, bytes[0..<4] == [0x52, 0x49, 0x46, 0x46] else {
            throw MultimodalError.corruptFile(path: "espeak-ng output", reason: "not a WAV stream")
        }
        // Walk the chunks to "data".
        var offset = 12
        while offset + 8 <= bytes.count {
            let id = String(decoding: bytes[offset..<offset + 4], as: UTF8.self)
            let size = Int(bytes[offset + 4]) | Int(bytes[offset + 5]) << 8 | Int(bytes[offset + 6]) << 16 | Int(bytes[offset + 7]) << 24
            if id == "data" {
                let start = offset + 8
                let count = (bytes.count - start) / 2
                return (0..<count).map { i in
                    Float(Int16(bitPattern: UInt16(bytes[start + 2 * i]) | UInt16(bytes[start + 2 * i + 1]) << 8)) / 32768
                }
            }
            offset += 8 + size
        }
        throw MultimodalError.corruptFile(path: "espeak-ng output", reason: "no data chunk")
    }

    /// Clips padded with zeros or cut to `length` samples, stacked: (N, length) float32.
    public static func batch(_ clips: [[Float]], length: Int) -> Tensor {
        var flat: [Float] = []
        flat.reserveCapacity(clips.count * length)
        for clip in clips { flat += clip.prefix(length) + [Float](repeating: 0, count: max(0, length - clip.count)) }
        return Tensor(flat, shape: [clips.count, length])
    }
}
