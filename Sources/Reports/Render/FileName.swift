/// A user's name (an experiment's, an artifact's) as one file or folder name: safe, readable,
/// short enough for any file system, and different for different names.
///
/// A name made only of `[a-z0-9._-]`, not starting with `.` or `-`, and at most
/// ``maxPlainLength`` bytes is used as it is (`spirals`, `fashion-mlp`, `model.bin`). Any
/// other name becomes a readable slug, then `~` and the first 16 hex digits of the SHA-256
/// of the name's exact UTF-8 bytes: `a/b` → `a-b~…`, `..` → `experiment~…`, a 100 kB name →
/// 60 characters of it and the hash. Plain names never contain `~` and hashed ones always
/// do, so no two names share a result, on case-sensitive and case-insensitive file systems
/// alike (plain names are lowercase; hashed names differ in their lowercase hashes). The
/// result is also a valid relative URL path segment as it is: `reports/README.md` links to
/// exactly the folder name.
public enum FileName {
    /// The longest name kept as it is, in bytes.
    public static let maxPlainLength = 100
    /// The longest slug before the hash, in characters.
    static let maxSlugLength = 60

    /// `name` as one path component (see the type's description).
    /// - Parameters:
    ///   - name: Any string, including an empty one.
    ///   - fallback: The slug used when nothing readable is left of `name` (`""`, `..`, `//`).
    /// - Returns: A non-empty name of `[A-Za-z0-9._~-]`, at most 100 bytes, that is neither
    ///   `.` nor `..` and does not start with `.`, `-` or `~`.
    public static func component(_ name: String, fallback: String = "experiment") -> String {
        if isPlain(name) { return name }
        var slug = ""
        for scalar in name.unicodeScalars {
            if scalar.isASCII, isSlugCharacter(UInt8(scalar.value)) {
                slug.unicodeScalars.append(scalar)
            } else if slug.last != "-" {
                slug += "-"
            }
            if slug.utf8.count >= maxSlugLength + 1 { break }
        }
        slug = String(slug.prefix(maxSlugLength))
        slug = String(slug.drop { $0 == "." || $0 == "-" })
        while let last = slug.last, last == "." || last == "-" { slug.removeLast() }
        if slug.isEmpty { slug = fallback }
        return slug + "~" + String(SHA256.hex(name.utf8).prefix(16))
    }

    /// Whether `name` is used unchanged.
    static func isPlain(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...maxPlainLength).contains(bytes.count), bytes[0] != UInt8(ascii: "."), bytes[0] != UInt8(ascii: "-") else {
            return false
        }
        return bytes.allSatisfy { ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || "._-".utf8.contains($0) }
    }

    private static func isSlugCharacter(_ byte: UInt8) -> Bool {
        (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39)
            || "._-".utf8.contains(byte)
    }
}
