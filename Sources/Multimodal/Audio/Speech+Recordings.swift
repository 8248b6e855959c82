import Foundation
import Torch

/// Real recorded speech: reading 16-bit PCM files, resampling, and cutting a recording at its
/// pauses. Synthesized clips (``Speech/synthesize(_:voice:wordsPerMinute:)``) are one voice
/// engine's idea of speech; these helpers let an experiment check a speech tower on people.
extension Speech {
    /// Debian's `pocketsphinx-testdata` (BSD-2-Clause; `scripts/install-deps` installs it): 16 kHz
    /// recordings of people with transcripts, among them the "cards" clips (`cards/001.wav` …
    /// `cards/005.wav`, transcripts in `cards/cards.transcription`) and LibriVox readings.
    public static let pocketsphinxData = "/usr/share/pocketsphinx/test/data"

    /// The samples of a 16-bit little-endian mono PCM file in [-1, 1), and its sample rate: a
    /// RIFF/WAVE file (its `fmt ` chunk is checked), or headerless `.raw` samples at `rawSampleRate`.
    /// - Throws: ``MultimodalError/missingFile(path:hint:)`` when the file does not exist, or
    ///   ``MultimodalError/corruptFile(path:reason:)`` naming what is not 16-bit mono PCM.
    public static func read(_ path: String, rawSampleRate: Int = 16_000) throws -> (samples: [Float], sampleRate: Int) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw MultimodalError.missingFile(path: path, hint: path.hasPrefix(pocketsphinxData)
                ? "install Debian's pocketsphinx-testdata (scripts/install-deps does)" : nil)
        }
        let bytes = [UInt8](data)
        guard bytes.count >= 4, bytes[0..<4] == [0x52, 0x49, 0x46, 0x46] else {
            guard path.hasSuffix(".raw") else {
                throw MultimodalError.corruptFile(path: path, reason: "not a RIFF/WAVE file (headerless samples need a .raw name)")
            }
            return (samples16(bytes, from: 0), rawSampleRate)
        }
        var offset = 12, sampleRate: Int?
        while offset + 8 <= bytes.count {
            let id = String(decoding: bytes[offset..<offset + 4], as: UTF8.self)
            let size = Int(littleEndian: bytes, at: offset + 4, count: 4)
            if id == "fmt " {
                guard offset + 24 <= bytes.count else { break }
                let format = Int(littleEndian: bytes, at: offset + 8, count: 2)
                let channels = Int(littleEndian: bytes, at: offset + 10, count: 2)
                let bits = Int(littleEndian: bytes, at: offset + 22, count: 2)
                guard format == 1, channels == 1, bits == 16 else {
                    throw MultimodalError.corruptFile(path: path, reason:
                        "Lab reads 16-bit mono PCM; this file has format \(format), \(channels) channels, \(bits) bits (convert it, e.g. with sox)")
                }
                sampleRate = Int(littleEndian: bytes, at: offset + 12, count: 4)
            } else if id == "data" {
                guard let sampleRate else { throw MultimodalError.corruptFile(path: path, reason: "the data chunk comes before a fmt chunk") }
                let end = min(bytes.count, offset + 8 + size)
                return (samples16(Array(bytes[(offset + 8)..<end]), from: 0), sampleRate)
            }
            offset += 8 + size + size % 2
        }
        throw MultimodalError.corruptFile(path: path, reason: "no fmt and data chunks")
    }

    /// `samples` at `rate` resampled to `target` by linear interpolation. Meant for raising the
    /// rate (16 kHz recordings into a tower trained at 22,050 Hz); lowering it this way aliases.
    public static func resample(_ samples: [Float], from rate: Int, to target: Int) -> [Float] {
        guard rate != target, samples.count > 1 else { return samples }
        let count = Int((Double(samples.count) * Double(target) / Double(rate)).rounded())
        let step = Double(rate) / Double(target)
        return (0..<count).map { i in
            let position = Double(i) * step
            let left = min(Int(position), samples.count - 1), right = min(left + 1, samples.count - 1)
            let t = Float(position - Double(left))
            return samples[left] * (1 - t) + samples[right] * t
        }
    }

    /// The stretches of `samples` where someone speaks: 10 ms frames whose RMS is at least
    /// `threshold` × the loudest frame's, joined across pauses shorter than `minPause` seconds.
    /// Ranges are in samples, in order. Speech that runs words together stays one range.
    public static func voicedSegments(_ samples: [Float], sampleRate: Int, threshold: Float = 0.1,
                                      minPause: Double = 0.06) -> [Range<Int>] {
        let frame = max(1, sampleRate / 100), frames = samples.count / frame
        guard frames > 0 else { return [] }
        let rms = (0..<frames).map { f -> Float in
            let slice = samples[(f * frame)..<((f + 1) * frame)]
            return (slice.reduce(0) { $0 + $1 * $1 } / Float(frame)).squareRoot()
        }
        let floor = max(rms.max()! * threshold, 1e-4)
        let pauseFrames = max(1, Int((minPause * 100).rounded()))
        var segments: [Range<Int>] = [], f = 0
        while f < frames {
            guard rms[f] > floor else { f += 1; continue }
            // Extend while the unvoiced run since the last voiced frame (g − last − 1 frames) is shorter than a pause.
            var last = f, g = f
            while g < frames, g - last <= pauseFrames {
                if rms[g] > floor { last = g }
                g += 1
            }
            segments.append((f * frame)..<((last + 1) * frame))
            f = g
        }
        return segments
    }

    static func samples16(_ bytes: [UInt8], from start: Int) -> [Float] {
        (0..<(bytes.count - start) / 2).map { i in
            Float(Int16(bitPattern: UInt16(bytes[start + 2 * i]) | UInt16(bytes[start + 2 * i + 1]) << 8)) / 32768
        }
    }
}

fileprivate extension Int {
    /// The unsigned little-endian integer in `count` bytes of `bytes` at `offset`.
    init(littleEndian bytes: [UInt8], at offset: Int, count: Int) {
        self = (0..<count).reduce(0) { $0 | Int(bytes[offset + $1]) << (8 * $1) }
    }
}
