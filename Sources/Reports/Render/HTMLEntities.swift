/// Character references in HTML attribute values, decoded so that a URL is checked as the
/// browser will read it.
///
/// Numeric references are decoded with or without their `;` (`&#106`, `&#x6A;`), as
/// browsers do. Named references are decoded when they end in `;` and are in a short table
/// of common ones, including those that spell URL punctuation (`&colon;`, `&Tab;`,
/// `&NewLine;`, `&sol;`). Any other `&` is left as it is: the sanitizer writes the decoded
/// value back with `&` escaped, so the browser then reads exactly the string that was
/// checked, whatever the reference would have meant.
enum HTMLEntities {
    /// `value` with its character references decoded.
    static func decode(_ value: String) -> String {
        guard value.contains("&") else { return value }
        let s = Array(value.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < s.count {
            guard s[i] == "&", let (scalar, length) = reference(s, at: i) else {
                out.append(s[i])
                i += 1
                continue
            }
            out.append(scalar)
            i += length
        }
        return String(out)
    }

    /// The reference at `start` (an `&`): what it stands for and how many scalars it spans.
    private static func reference(_ s: [Unicode.Scalar], at start: Int) -> (Unicode.Scalar, Int)? {
        var i = start + 1
        guard i < s.count else { return nil }
        if s[i] == "#" {
            i += 1
            let hex = i < s.count && (s[i] == "x" || s[i] == "X")
            if hex { i += 1 }
            let digitsStart = i
            var code: UInt32 = 0
            while i < s.count, let digit = digit(s[i], hex: hex) {
                code = code > 0x10FFFF ? code : code * (hex ? 16 : 10) + digit
                i += 1
            }
            guard i > digitsStart else { return nil }
            if i < s.count, s[i] == ";" { i += 1 }
            let replacement: Unicode.Scalar = "\u{FFFD}"
            let scalar = code == 0 ? replacement : (Unicode.Scalar(code) ?? replacement)
            return (scalar, i - start)
        }
        var name = ""
        while i < s.count, ("a"..."z").contains(s[i]) || ("A"..."Z").contains(s[i]) || ("0"..."9").contains(s[i]) {
            name.unicodeScalars.append(s[i])
            i += 1
            if name.count > 12 { return nil }
        }
        guard i < s.count, s[i] == ";", let scalar = named[name] else { return nil }
        return (scalar, i + 1 - start)
    }

    private static func digit(_ c: Unicode.Scalar, hex: Bool) -> UInt32? {
        switch c {
        case "0"..."9": return c.value - 48
        case "a"..."f" where hex: return c.value - 87
        case "A"..."F" where hex: return c.value - 55
        default: return nil
        }
    }

    private static let named: [String: Unicode.Scalar] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{A0}",
        "Tab": "\t", "NewLine": "\n", "colon": ":", "sol": "/", "bsol": "\\", "period": ".", "comma": ",",
        "semi": ";", "excl": "!", "quest": "?", "num": "#", "percnt": "%", "lpar": "(", "rpar": ")",
        "equals": "=", "plus": "+", "lowbar": "_", "hyphen": "\u{2010}", "dash": "\u{2010}",
        "copy": "\u{A9}", "reg": "\u{AE}", "trade": "\u{2122}", "mdash": "\u{2014}", "ndash": "\u{2013}",
        "hellip": "\u{2026}", "laquo": "\u{AB}", "raquo": "\u{BB}", "ldquo": "\u{201C}", "rdquo": "\u{201D}",
        "lsquo": "\u{2018}", "rsquo": "\u{2019}", "times": "\u{D7}", "divide": "\u{F7}", "deg": "\u{B0}",
        "plusmn": "\u{B1}", "micro": "\u{B5}", "middot": "\u{B7}", "bull": "\u{2022}", "euro": "\u{20AC}",
        "larr": "\u{2190}", "rarr": "\u{2192}", "le": "\u{2264}", "ge": "\u{2265}", "ne": "\u{2260}",
        "asymp": "\u{2248}", "infin": "\u{221E}",
    ]
}
