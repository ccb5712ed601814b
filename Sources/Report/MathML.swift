/// A converter from the TeX subset of the paper's equations to presentation MathML, so that HTML
/// reports show math without a script. It covers sub- and superscripts, fractions, `\sum`, `\prod`,
/// `\arg\min`, `\|x\|`, `\mathbb`, `\mathcal`, `\mathrm`, `\text`, `\overset`, `\sqrt`, Greek letters,
/// relations (`\in`, `\neq`, `\leq`, `\forall`, ...), `\left( ... \right)` and spacing. Anything else is
/// reported, and the caller shows the source instead.
public enum MathML {
    public struct Unsupported: Error, Equatable, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }

    /// Groups nested deeper than this are refused, so that no formula can exhaust the stack.
    static let maximumDepth = 40

    /// `<math>` for `tex` (for HTML), displayed as a block when `display` is set.
    public static func convert(_ tex: String, display: Bool) throws(Unsupported) -> String {
        var parser = Parser(tokens: tokenize(tex))
        let body = try parser.sequence(until: nil, depth: 0)
        // No xmlns: the HTML parser puts <math> in the MathML namespace, and the page names no address.
        return "<math" + (display ? " display=\"block\"" : "") + ">"
            + "<mrow>" + body + "</mrow></math>"
    }

    enum Token: Equatable {
        case command(String)
        case open, close, superscript, `subscript`
        case character(Character)
    }

    static func tokenize(_ tex: String) -> [Token] {
        var tokens = [Token](), characters = Array(tex), index = 0
        while index < characters.count {
            let character = characters[index]
            switch character {
            case "\\":
                index += 1
                guard index < characters.count else { tokens.append(.character("\\")); break }
                if characters[index].isLetter {
                    var name = ""
                    while index < characters.count, characters[index].isLetter { name.append(characters[index]); index += 1 }
                    tokens.append(.command(name))
                    continue
                }
                tokens.append(.command(String(characters[index])))
            case "{": tokens.append(.open)
            case "}": tokens.append(.close)
            case "^": tokens.append(.superscript)
            case "_": tokens.append(.subscript)
            case " ", "\n", "\t": break
            default: tokens.append(.character(character))
            }
            index += 1
        }
        return tokens
    }

    static let greek: [String: String] = [
        "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ϵ", "varepsilon": "ε", "zeta": "ζ", "eta": "η",
        "theta": "θ", "iota": "ι", "kappa": "κ", "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "pi": "π", "rho": "ρ",
        "sigma": "σ", "tau": "τ", "upsilon": "υ", "phi": "ϕ", "varphi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω",
        "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π", "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
    ]

    static let operators: [String: String] = [
        "in": "∈", "notin": "∉", "neq": "≠", "ne": "≠", "leq": "≤", "le": "≤", "geq": "≥", "ge": "≥", "forall": "∀",
        "exists": "∃", "to": "→", "rightarrow": "→", "leftarrow": "←", "Rightarrow": "⇒", "cdot": "⋅", "times": "×",
        "approx": "≈", "sim": "∼", "equiv": "≡", "pm": "±", "infty": "∞", "dots": "…", "ldots": "…", "cdots": "⋯",
        "partial": "∂", "nabla": "∇", "subset": "⊂", "subseteq": "⊆", "cup": "∪", "cap": "∩", "setminus": "∖",
        "|": "‖", "{": "{", "}": "}", "gg": "≫", "ll": "≪", "mid": "∣", "langle": "⟨", "rangle": "⟩",
    ]

    static let largeOperators: [String: String] = ["sum": "∑", "prod": "∏", "int": "∫"]
    static let functions: Set<String> = ["arg", "min", "max", "log", "exp", "sin", "cos", "tan", "det", "dim", "sup", "inf", "lim"]
    static let spaces: [String: String] = [",": "0.1667em", ":": "0.2222em", ";": "0.2778em", " ": "0.25em", "quad": "1em", "qquad": "2em", "!": "0em"]
    /// The alphabets `\mathbb`, `\mathcal`, `\mathbf` and `\mathit`, written as Unicode's mathematical letters
    /// since MathML Core (Chromium) ignores mathvariants other than "normal" (which `\mathrm` keeps):
    /// the first code point of the capital and small letters of each alphabet, and the letters that Unicode
    /// encodes elsewhere (the Letterlike Symbols block) because they existed before the alphabet.
    typealias Alphabet = (capital: UInt32, small: UInt32, elsewhere: [Character: Character])
    static let alphabets: [String: Alphabet] = [
        "mathbb": (0x1D538, 0x1D552, ["C": "ℂ", "H": "ℍ", "N": "ℕ", "P": "ℙ", "Q": "ℚ", "R": "ℝ", "Z": "ℤ"]),
        "mathcal": (0x1D49C, 0x1D4B6, ["B": "ℬ", "E": "ℰ", "F": "ℱ", "H": "ℋ", "I": "ℐ", "L": "ℒ", "M": "ℳ", "R": "ℛ",
                                       "e": "ℯ", "g": "ℊ", "o": "ℴ"]),
        "mathbf": (0x1D400, 0x1D41A, [:]),
        "mathit": (0x1D434, 0x1D44E, ["h": "ℎ"]),
    ]

    /// `letters` in `alphabet`; characters other than A-Z and a-z unchanged.
    static func styled(_ letters: String, in alphabet: Alphabet) -> String {
        String(letters.map { letter -> Character in
            if let special = alphabet.elsewhere[letter] { return special }
            guard let ascii = letter.asciiValue, letter.isLetter,
                  let scalar = Unicode.Scalar(ascii < 97 ? alphabet.capital + UInt32(ascii - 65) : alphabet.small + UInt32(ascii - 97))
            else { return letter }
            return Character(scalar)
        })
    }

    struct Parser {
        let tokens: [Token]
        var index = 0
        /// How identifiers are written inside `\mathrm{...}` (upright) or an alphabet command.
        var letterStyle = LetterStyle.italic

        enum LetterStyle {
            case italic, upright
            case alphabet(Alphabet)
        }

        init(tokens: [Token]) { self.tokens = tokens }

        /// Atoms (each with optional scripts) up to `end` (or the end of input).
        mutating func sequence(until end: Token?, depth: Int) throws(Unsupported) -> String {
            guard depth < MathML.maximumDepth else { throw Unsupported(reason: "nested more than \(MathML.maximumDepth) deep") }
            var out = ""
            while index < tokens.count {
                if let end, tokens[index] == end { return out }
                if case .command("right") = tokens[index], end == .command("right") { return out }
                out += try scripted(depth: depth)
            }
            if let end, end != .command("right") { throw Unsupported(reason: end == .close ? "a '{' is not closed" : "a group is not closed") }
            if end == .command("right") { throw Unsupported(reason: "\\left without \\right") }
            return out
        }

        /// One atom and its sub- and superscripts.
        mutating func scripted(depth: Int) throws(Unsupported) -> String {
            let (base, large) = try atom(depth: depth)
            var sub: String?, sup: String?
            while index < tokens.count, tokens[index] == .subscript || tokens[index] == .superscript {
                let isSub = tokens[index] == .subscript
                index += 1
                guard index < tokens.count else { throw Unsupported(reason: "a script has nothing after it") }
                let script = try atom(depth: depth + 1).markup
                if isSub { sub = script } else { sup = script }
            }
            switch (sub, sup) {
            case (nil, nil): return base
            case let (s?, nil): return large ? "<munder>\(base)\(s)</munder>" : "<msub>\(base)\(s)</msub>"
            case let (nil, p?): return large ? "<mover>\(base)\(p)</mover>" : "<msup>\(base)\(p)</msup>"
            case let (s?, p?): return large ? "<munderover>\(base)\(s)\(p)</munderover>" : "<msubsup>\(base)\(s)\(p)</msubsup>"
            }
        }

        /// One atom as MathML, and whether it takes its limits above and below (large operators, min, max).
        mutating func atom(depth: Int) throws(Unsupported) -> (markup: String, large: Bool) {
            guard index < tokens.count else { throw Unsupported(reason: "an argument is missing") }
            let token = tokens[index]
            index += 1
            switch token {
            case .open:
                let inner = try sequence(until: .close, depth: depth + 1)
                index += 1
                return ("<mrow>\(inner)</mrow>", false)
            case .close: throw Unsupported(reason: "a '}' closes nothing")
            case .superscript, .subscript: throw Unsupported(reason: "a script has no base")
            case let .character(character):
                if character.isLetter { return (identifier(HTMLWriter.escape(String(character))), false) }
                if character.isNumber {
                    var number = String(character)
                    while index < tokens.count, case let .character(next) = tokens[index], next.isNumber || next == "." {
                        number.append(next); index += 1
                    }
                    return ("<mn>\(number)</mn>", false)
                }
                return ("<mo>\(HTMLWriter.escape(String(character)))</mo>", false)
            case let .command(name):
                return try command(name, depth: depth)
            }
        }

        mutating func argument(depth: Int) throws(Unsupported) -> String { try atom(depth: depth + 1).markup }

        /// The raw text of a braced argument (for `\text`).
        mutating func text() throws(Unsupported) -> String {
            guard index < tokens.count, tokens[index] == .open else { throw Unsupported(reason: "\\text needs {...}") }
            index += 1
            var text = "", level = 0
            while index < tokens.count {
                let token = tokens[index]
                index += 1
                switch token {
                case .open: level += 1; text += "{"
                case .close:
                    if level == 0 { return text }
                    level -= 1; text += "}"
                case let .character(character): text.append(character)
                case let .command(name): text += name.count == 1 ? name : "\\" + name
                case .superscript: text += "^"
                case .subscript: text += "_"
                }
            }
            throw Unsupported(reason: "a '{' is not closed")
        }

        /// `letters` as an identifier in the current `letterStyle`.
        func identifier(_ letters: String) -> String {
            switch letterStyle {
            case .italic: "<mi>\(letters)</mi>"
            case .upright: "<mi mathvariant=\"normal\">\(letters)</mi>"
            case let .alphabet(alphabet): "<mi>\(MathML.styled(letters, in: alphabet))</mi>"
            }
        }

        /// The next argument with its identifiers written in `style`.
        mutating func argument(depth: Int, letterStyle style: LetterStyle) throws(Unsupported) -> String {
            let outer = letterStyle
            letterStyle = style
            defer { letterStyle = outer }
            return try argument(depth: depth)
        }

        mutating func command(_ name: String, depth: Int) throws(Unsupported) -> (markup: String, large: Bool) {
            if let letter = MathML.greek[name] { return (identifier(letter), false) }
            if let symbol = MathML.operators[name] { return ("<mo>\(HTMLWriter.escape(symbol))</mo>", false) }
            if let symbol = MathML.largeOperators[name] { return ("<mo largeop=\"true\" movablelimits=\"true\">\(symbol)</mo>", true) }
            if MathML.functions.contains(name) { return ("<mo>\(name)</mo>", name == "min" || name == "max" || name == "lim") }
            if let width = MathML.spaces[name] { return ("<mspace width=\"\(width)\"/>", false) }
            if name == "mathrm" { return (try argument(depth: depth, letterStyle: .upright), false) }
            if let alphabet = MathML.alphabets[name] { return (try argument(depth: depth, letterStyle: .alphabet(alphabet)), false) }
            switch name {
            case "frac":
                let numerator = try argument(depth: depth), denominator = try argument(depth: depth)
                return ("<mfrac>\(numerator)\(denominator)</mfrac>", false)
            case "sqrt": return ("<msqrt>\(try argument(depth: depth))</msqrt>", false)
            case "overset":
                let over = try argument(depth: depth), base = try argument(depth: depth)
                return ("<mover>\(base)\(over)</mover>", false)
            case "underset":
                let under = try argument(depth: depth), base = try argument(depth: depth)
                return ("<munder>\(base)\(under)</munder>", false)
            case "text", "textrm", "operatorname":
                return ("<mtext>\(HTMLWriter.escape(try text()))</mtext>", false)
            case "left":
                let opening = try delimiter()
                let inner = try sequence(until: .command("right"), depth: depth + 1)
                index += 1
                let closing = try delimiter()
                return ("<mrow><mo fence=\"true\">\(opening)</mo>\(inner)<mo fence=\"true\">\(closing)</mo></mrow>", false)
            case "big", "Big", "bigg", "Bigg": return ("", false)
            default:
                throw Unsupported(reason: "the macro \\\(name) is not supported")
            }
        }

        /// The delimiter after `\left` or `\right` (`.` is none).
        mutating func delimiter() throws(Unsupported) -> String {
            guard index < tokens.count else { throw Unsupported(reason: "\\left or \\right needs a delimiter") }
            let token = tokens[index]
            index += 1
            switch token {
            case let .character(character): return character == "." ? "" : HTMLWriter.escape(String(character))
            case let .command(name): return MathML.operators[name].map(HTMLWriter.escape) ?? ""
            default: throw Unsupported(reason: "\\left or \\right needs a delimiter")
            }
        }
    }
}
