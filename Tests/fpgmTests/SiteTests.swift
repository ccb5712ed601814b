import Foundation
import Testing

@Suite("fpgm render DIR: a site")
struct SiteTests {
    /// A project: fpgm.yml, a notebook at the top and two in a sub-folder (one with the top one's name),
    /// an excluded draft, an image, a link out of the project and a symbolic-link loop.
    static func project(_ name: String) throws -> URL {
        let root = try scratchFolder(name)
        func file(_ path: String, _ text: String) throws {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        try file("fpgm.yml", "title: Course\norder: [intro.md]\nexclude: [\"drafts/*\"]\n")
        try file("intro.md", """
        # Introduction

        See [the lecture](sub/lecture.md#part), ![a diagram](img/diagram.png), [a secret](../../etc/passwd) and ![](../outside.png).
        Also [a site](https://example.org/x.md), and @sub/lecture.md#tbl-l there.

        ```fpgm flops
        #| label: tbl-flops
        archs: [resnet20]
        rates: [0.3]
        ```
        """)
        try file("sub/lecture.md", "---\ntitle: Lecture 1\n---\n## Part\n\nBack to [the introduction](../intro.md).\n\n```fpgm flops\n#| label: tbl-l\narchs: [resnet20]\n```\n")
        try file("sub/intro.md", "# Another introduction\n")
        try file("drafts/wip.md", "```fpgm nosuch\n```\n")
        try file("img/diagram.png", "not really a PNG")
        try FileManager.default.createSymbolicLink(atPath: root.appendingPathComponent("sub/loop").path, withDestinationPath: root.path)
        return root
    }

    @Test("every notebook under the folder renders at its place, with the same navigation on every page, an index, links between pages, and linked files copied from inside the folder only")
    func site() throws {
        let root = try Self.project("fpgm-site-\(getpid())")
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("site")
        let run = try FPGMProcess(["render", root.path, "-o", out.path, "--no-cache"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("warning: \(root.path)/intro.md: the link to '../../etc/passwd' leaves the project folder; it is not copied"))
        #expect(run.stderr.contains("warning: \(root.path)/intro.md: the link to '../outside.png' leaves the project folder; it is not copied"))
        func page(_ path: String) throws -> String { try String(contentsOf: out.appendingPathComponent(path), encoding: .utf8) }
        let pages = try FileManager.default.subpathsOfDirectory(atPath: out.path).filter { $0.hasSuffix(".html") }.sorted()
        #expect(pages == ["index.html", "intro.html", "sub/intro.html", "sub/lecture.html"])
        // The order of fpgm.yml, then by path; titles from the front matter or the first heading.
        let index = try page("index.html")
        #expect(index.contains("<ul class=\"pages\">\n<li><a href=\"intro.html\">Introduction</a></li>\n<li><a href=\"sub/intro.html\">Another introduction</a></li>\n<li><a href=\"sub/lecture.html\">Lecture 1</a></li>\n</ul>"))
        #expect(try page("index.md") == "- [Introduction](intro.md)\n- [Another introduction](sub/intro.md)\n- [Lecture 1](sub/lecture.md)\n")
        let intro = try page("intro.html"), lecture = try page("sub/lecture.html")
        #expect(intro.contains("<nav class=\"site\"><a class=\"site-title\" href=\"index.html\">Course</a>\n<ul>\n<li><a href=\"intro.html\" aria-current=\"page\">Introduction</a></li>"))
        #expect(lecture.contains("<nav class=\"site\"><a class=\"site-title\" href=\"../index.html\">Course</a>\n<ul>\n<li><a href=\"../intro.html\">Introduction</a></li>\n<li><a href=\"../sub/intro.html\">Another introduction</a></li>\n<li><a href=\"../sub/lecture.html\" aria-current=\"page\">Lecture 1</a></li>"))
        #expect(intro.contains("<a href=\"sub/lecture.html#part\">the lecture</a>") && lecture.contains("<a href=\"../intro.html\">the introduction</a>"))
        #expect(intro.contains("<a href=\"https://example.org/x.md\">") && intro.contains("<a href=\"../../etc/passwd\">"))
        // A reference to another notebook's table: numbered as there, linked to its page.
        #expect(intro.contains("and <a href=\"sub/lecture.html#tbl-l\">Table 1 of Lecture 1</a> there."))
        #expect(try Data(contentsOf: out.appendingPathComponent("img/diagram.png")) == Data("not really a PNG".utf8))
        // The Markdown reports keep the notebooks' own links, which hold between the .md reports too.
        #expect(try page("intro.md").contains("[the lecture](sub/lecture.md#part)"))
        #expect(try page("intro.md").contains("[Table 1 of Lecture 1](sub/lecture.md#tbl-l)"))
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("drafts").path))
        #expect(try FPGMProcess(["render", root.path, "-o", out.path, "--no-cache", "--strict"]).status == 2)  // the warning, made an error
        // The same bytes a second time.
        let again = try FPGMProcess(["render", root.path, "-o", out.path, "--quiet"])
        let introAgain = try page("intro.html"), indexAgain = try page("index.html")
        #expect(again.status == 0 && introAgain == intro && indexAgain == index)
    }

    @Test("10,000 notebooks in one folder render as a site whose pages stay small: past 30 pages the navigation lists the page before and after, the index all of them")
    func tenThousand() throws {
        let root = try scratchFolder("fpgm-site-many-\(getpid())")
        defer { try? FileManager.default.removeItem(at: root) }
        let project = root.appendingPathComponent("p")
        try FileManager.default.createDirectory(at: project, withIntermediateDirectories: true)
        for index in 0..<10_000 {
            try Data("# Note \(index)\n\nText.\n".utf8).write(to: project.appendingPathComponent(String(format: "n%05d.md", index)))
        }
        let out = root.appendingPathComponent("site")
        let run = try FPGMProcess(["render", project.path, "-o", out.path, "--to", "html", "--quiet"])
        #expect(run.status == 0, "\(run.stderr.prefix(300))")
        let index = try String(contentsOf: out.appendingPathComponent("index.html"), encoding: .utf8)
        #expect(index.components(separatedBy: "<li><a href=\"n").count - 1 == 10_000)
        let page = try String(contentsOf: out.appendingPathComponent("n05000.html"), encoding: .utf8)
        #expect(page.contains("<ul>\n<li><a href=\"n04999.html\">Note 4999</a></li>\n<li><a href=\"n05000.html\" aria-current=\"page\">Note 5000</a></li>\n<li><a href=\"n05001.html\">Note 5001</a></li>\n</ul>"))
        #expect(page.utf8.count < 20_000)
    }

    @Test("--keep-going renders the other notebooks when one cannot be, and exits with the worst code; without it the first error stops")
    func keepGoing() throws {
        let root = try scratchFolder("fpgm-site-keep-\(getpid())")
        defer { try? FileManager.default.removeItem(at: root) }
        try Data("```fpgm flosp\n```\n".utf8).write(to: root.appendingPathComponent("a.md"))
        try Data("# B\n".utf8).write(to: root.appendingPathComponent("b.md"))
        let out = root.appendingPathComponent("site")
        let stop = try FPGMProcess(["render", root.path, "-o", out.path])
        #expect(stop.status == 2 && stop.stderr.hasPrefix("\(root.path)/a.md:1:1: error: [cell-1] flosp: unknown directive 'flosp'"))
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("b.html").path))
        let going = try FPGMProcess(["render", root.path, "-o", out.path, "--keep-going"])
        #expect(going.status == 2 && going.stderr.hasSuffix("some notebooks could not be rendered (above); the others were\n"))
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("b.html").path))
        #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent("index.html").path))
    }

    @Test("refused: two files that would write one report, a folder with files, an fpgm.yml key or order entry that is not one")
    func refusals() throws {
        let root = try Self.project("fpgm-site-refuse-\(getpid())")
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("site").path
        let clash = try FPGMProcess(["render", "intro.md", "sub/intro.md", "-o", out], in: root)
        #expect(clash.status == 2 && clash.stderr.hasPrefix("Error: 'intro.md' and 'sub/intro.md' would both write the report 'intro' in '\(out)'; render their folder (fpgm render DIR) to keep the folders apart\n"))
        #expect(!FileManager.default.fileExists(atPath: out))
        let mixed = try FPGMProcess(["render", ".", "intro.md", "-o", out], in: root)
        #expect(mixed.status == 2 && mixed.stderr.hasPrefix("Error: Give one folder (rendered as a site) or notebook files, not both\n"))
        try Data("title: Course\norder: [nope.md]\n".utf8).write(to: root.appendingPathComponent("fpgm.yml"))
        let order = try FPGMProcess(["render", ".", "-o", out], in: root)
        #expect(order.status == 2 && order.stderr == "./fpgm.yml: 'order' names 'nope.md', which is not a notebook of the folder\n")
        try Data("# A\n\nSee @sub/lecture.md#tbl-nope.\n".utf8).write(to: root.appendingPathComponent("sub/intro.md"))
        try Data("title: Course\nexclude: [\"drafts/*\"]\n".utf8).write(to: root.appendingPathComponent("fpgm.yml"))
        let reference = try FPGMProcess(["render", ".", "-o", out], in: root)
        #expect(reference.status == 2 && reference.stderr.hasSuffix("\n./sub/intro.md:3:5: error: '@sub/lecture.md#tbl-nope' refers to no table or figure of a notebook rendered with this one\n"), "\(reference.stderr)")
        try Data("title: Course\nordr: [intro.md]\n".utf8).write(to: root.appendingPathComponent("fpgm.yml"))
        let key = try FPGMProcess(["render", ".", "-o", out], in: root)
        #expect(key.status == 2 && key.stderr == "./fpgm.yml:2:1: error: unknown key 'ordr'; did you mean 'order'? (known: title, order, exclude)\n")
    }
}
