import Testing
@testable import Report

@Suite("TeX to MathML")
struct MathMLTests {
    @Test("Eq. 1 of the paper: arg min with a limit, blackboard R, text, overset, sum with limits, norms")
    func equationOne() throws {
        let tex = #"x^{*}=\arg\min_{x\in\mathbb{R}^{d}} f(x)\quad\text{where}\quad f(x)\overset{\text{def}}{=}\sum_{i\in[1,n]}\left\|x-a^{(i)}\right\|_{2}"#
        let math = try MathML.convert(tex, display: true)
        #expect(math.hasPrefix("<math display=\"block\"><mrow><msup><mi>x</mi><mrow><mo>*</mo></mrow></msup><mo>=</mo><mo>arg</mo><munder><mo>min</mo>"))
        #expect(math.contains("<mi>ℝ</mi>"))
        #expect(math.contains("<mtext>where</mtext>"))
        #expect(math.contains("<mover><mrow><mo>=</mo></mrow><mrow><mtext>def</mtext></mrow></mover>"))
        #expect(math.contains("<munder><mo largeop=\"true\" movablelimits=\"true\">∑</mo>"))
        #expect(math.contains("<mo fence=\"true\">‖</mo>"))
    }

    @Test("fractions, Greek, relations, calligraphic letters, sub- and superscripts together")
    func pieces() throws {
        #expect(try MathML.convert(#"\frac{a}{b}"#, display: false) == "<math><mrow><mfrac><mrow><mi>a</mi></mrow><mrow><mi>b</mi></mrow></mfrac></mrow></math>")
        #expect(try MathML.convert(#"\sigma(\mathbb{V}) \neq 0, \forall x"#, display: false).contains("<mi>σ</mi><mo>(</mo><mrow><mi>𝕍</mi></mrow><mo>)</mo><mo>≠</mo><mn>0</mn><mo>,</mo><mo>∀</mo><mi>x</mi>"))
        #expect(try MathML.convert(#"\mathcal{F}_{i,j}^{2}"#, display: false).contains("<msubsup><mrow><mi>ℱ</mi></mrow>"))
        #expect(try MathML.convert("1 < 2 & x", display: false).contains("<mo>&lt;</mo>"))
    }

    /// Code points from Unicode's Mathematical Alphanumeric Symbols chart, holes filled from Letterlike Symbols.
    @Test("letter alphabets become Unicode's mathematical letters, which MathML Core renders; \\mathrm stays normal", arguments: [
        (#"\mathbb{A}"#, "<mi>\u{1D538}</mi>"), (#"\mathbb{a}"#, "<mi>\u{1D552}</mi>"), (#"\mathbb{Z}"#, "<mi>\u{2124}</mi>"),
        (#"\mathcal{A}"#, "<mi>\u{1D49C}</mi>"), (#"\mathcal{L}"#, "<mi>\u{2112}</mi>"), (#"\mathcal{z}"#, "<mi>\u{1D4CF}</mi>"),
        (#"\mathbf{V}"#, "<mi>\u{1D415}</mi>"), (#"\mathit{h}"#, "<mi>\u{210E}</mi>"), (#"\mathrm{d}"#, "<mi mathvariant=\"normal\">d</mi>"),
    ])
    func alphabets(tex: String, letter: String) throws {
        #expect(try MathML.convert(tex, display: false).contains(letter))
    }

    @Test("unsupported input is reported, never a crash", arguments: [
        (#"\foo{x}"#, "the macro \\foo is not supported"),
        ("x^", "a script has nothing after it"),
        ("{x", "a '{' is not closed"),
        ("x}", "a '}' closes nothing"),
        (#"\left( x"#, "\\left without \\right"),
    ])
    func unsupported(tex: String, reason: String) {
        #expect(throws: MathML.Unsupported(reason: reason)) { try MathML.convert(tex, display: false) }
    }

    @Test("deep nesting is refused")
    func deep() {
        #expect(throws: MathML.Unsupported.self) { try MathML.convert(String(repeating: "{", count: 10_000), display: false) }
    }
}
