/// Which URLs prose may use in `index.html`, checked on the decoded attribute value as the
/// browser's URL parser will read it: leading and trailing spaces and control characters
/// stripped, tabs and line breaks removed anywhere, the scheme compared in lowercase.
///
/// - Links (`href`, `cite`): a `#fragment`, a relative path (not starting with `/`, so
///   neither root-relative nor protocol-relative `//host`), or `http:`, `https:`, `mailto:`.
///   A link loads nothing until it is clicked, so `../other-report/` is allowed.
/// - Images (`src`): `data:image/png|jpeg|gif|webp` or a relative path inside the report
///   folder (no `..` segment, also when percent-encoded); nothing remote, no SVG.
///
/// A backslash anywhere in a relative URL, or any other control character, is refused:
/// browsers read `\` as `/` (`\/host` is `//host`).
enum URLPolicy {
    /// Whether `value` (decoded) may be a link target.
    static func isSafeLink(_ value: String) -> Bool {
        guard let url = normalized(value) else { return false }
        if let scheme = scheme(of: url) { return ["http", "https", "mailto"].contains(scheme) }
        return isRelative(url)
    }

    /// Whether `value` (decoded) may be an image source.
    static func isSafeImage(_ value: String) -> Bool {
        guard let url = normalized(value) else { return false }
        if let scheme = scheme(of: url) {
            guard scheme == "data" else { return false }
            let lower = url.lowercased()
            return ["png", "jpeg", "gif", "webp"].contains { type in
                lower.hasPrefix("data:image/\(type);") || lower.hasPrefix("data:image/\(type),")
            }
        }
        guard isRelative(url), let first = url.first, first != "#", first != "?" else { return false }
        let path = url.prefix { $0 != "?" && $0 != "#" }
        let decoded = path.lowercased().replacingOccurrences(of: "%2e", with: ".")
        return !decoded.split(separator: "/", omittingEmptySubsequences: false).contains { $0 == ".." }
    }

    /// A relative reference that stays on the page's own host and below its folder's root.
    private static func isRelative(_ url: String) -> Bool {
        !url.hasPrefix("/") && !url.contains("\\")
    }

    /// `value` as the URL parser reads it, or nil when it holds a control character.
    static func normalized(_ value: String) -> String? {
        var scalars = Array(value.unicodeScalars)
        while let first = scalars.first, first.value <= 0x20 { scalars.removeFirst() }
        while let last = scalars.last, last.value <= 0x20 { scalars.removeLast() }
        scalars.removeAll { $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard !scalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) else { return nil }
        var out = String.UnicodeScalarView()
        out.append(contentsOf: scalars)
        return String(out)
    }

    /// The lowercased scheme: an ASCII letter, then letters, digits, `+`, `-`, `.`, then `:`.
    static func scheme(of url: String) -> String? {
        var scheme = ""
        for scalar in url.unicodeScalars {
            if scalar == ":" { return scheme.isEmpty ? nil : scheme.lowercased() }
            let letter = ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
            let other = ("0"..."9").contains(scalar) || scalar == "+" || scalar == "-" || scalar == "."
            guard letter || (!scheme.isEmpty && other) else { return nil }
            scheme.unicodeScalars.append(scalar)
        }
        return nil
    }
}
