// The issue command's inputs: files, arrays, API request bodies, JSON Lines, directories, list
// files, stdin and CSV rows through a template, each credential named by where it came from.
import { expect } from "chai";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fillTemplate, InputError, readCredentialSources } from "../../src/cli/credential-sources.ts";

describe("readCredentialSources", function () {
  let dir: string;
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "credanchor-sources-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const template = () =>
    file(
      "badge.json",
      JSON.stringify({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        type: ["VerifiableCredential"],
        credentialSubject: { name: "{{name}}", email: "{{email}}", achievement: { name: "{{course}} ({{year}})" } },
        tags: ["{{tag}}", "fixed"],
      }),
    );

  it("default: one credential, an array, JSON Lines, each named by its place", function () {
    const one = file("one.json", '{"a":1}');
    const many = file("many.json", '[{"b":1},{"b":2}]');
    const lines = file("rows.jsonl", '{"c":1}\n\n{"c":2}\r\n');
    expect(readCredentialSources([one, many, lines])).to.deep.equal([
      { source: one, credential: { a: 1 } },
      { source: `${many}[0]`, credential: { b: 1 } },
      { source: `${many}[1]`, credential: { b: 2 } },
      { source: `${lines}:1`, credential: { c: 1 } },
      { source: `${lines}:3`, credential: { c: 2 } },
    ]);
  });

  it("behavior: an API request body {credentials: [...]} is unwrapped, with a note", function () {
    const body = file("request.json", JSON.stringify({ credentials: [{ x: 1 }, { x: 2 }] }));
    const notes: string[] = [];
    const read = readCredentialSources([body], { note: (m) => notes.push(m) });
    expect(read.map((r) => r.credential)).to.deep.equal([{ x: 1 }, { x: 2 }]);
    expect(notes).to.have.length(1);
    expect(notes[0]).to.match(/API request body.*2 credential/);
    // A credential that merely has a `credentials` property besides others stays one credential.
    const odd = file("odd.json", JSON.stringify({ type: ["VerifiableCredential"], credentials: [] }));
    expect(readCredentialSources([odd])).to.have.length(1);
  });

  it("behavior: a directory is its input files by name; a list file names inputs; - reads stdin", function () {
    const sub = join(dir, "cohort");
    mkdirSync(sub);
    for (const n of [3, 1, 2]) writeFileSync(join(sub, `c${n}.json`), JSON.stringify({ n }));
    writeFileSync(join(sub, "README.txt"), "not an input");
    expect(readCredentialSources([sub]).map((r) => r.credential)).to.deep.equal([{ n: 1 }, { n: 2 }, { n: 3 }]);
    const list = file("list.txt", `# cohort\n${join(sub, "c2.json")}\n\n${join(sub, "c3.json")}\n`);
    expect(readCredentialSources([], { lists: [list] }).map((r) => r.credential)).to.deep.equal([{ n: 2 }, { n: 3 }]);
    const fromStdin = readCredentialSources(["-"], { stdin: () => '{"s":1}\n{"s":2}\n' });
    expect(fromStdin).to.deep.equal([
      { source: "stdin:1", credential: { s: 1 } },
      { source: "stdin:2", credential: { s: 2 } },
    ]);
  });

  it("behavior: CSV rows fill the template; quoted commas and newlines; an empty cell drops a whole-placeholder value", function () {
    const csv = file("cohort.csv", '\ufeffname,email,course,year,tag,unused\n"Doe, Jane",jane@example.org,Welding,2026,gold,x\n"Smith\nJohn",,Welding,2026,,y\n');
    const notes: string[] = [];
    const read = readCredentialSources([csv], { template: template(), note: (m) => notes.push(m) });
    expect(read.map((r) => r.source)).to.deep.equal([`${csv}: row 1`, `${csv}: row 2`]);
    expect(read[0]!.credential).to.deep.include({ tags: ["gold", "fixed"] });
    expect((read[0]!.credential as { credentialSubject: unknown }).credentialSubject).to.deep.equal({
      name: "Doe, Jane",
      email: "jane@example.org",
      achievement: { name: "Welding (2026)" },
    });
    expect((read[1]!.credential as { credentialSubject: unknown }).credentialSubject).to.deep.equal({ name: "Smith\nJohn", achievement: { name: "Welding (2026)" } });
    expect((read[1]!.credential as { tags: unknown }).tags).to.deep.equal(["fixed"]);
    expect(notes.join()).to.match(/not used by the template: unused/);
  });

  it("error: every input problem names the file (and line or row) before anything is sent", function () {
    const missing = join(dir, "nope.json");
    expect(() => readCredentialSources([missing])).to.throw(InputError, `${missing}: no such file`);
    const broken = file("broken.jsonl", '{"ok":1}\n{"ok":\n');
    expect(() => readCredentialSources([broken])).to.throw(InputError, `${broken}:2: not JSON`);
    const csv = file("c.csv", "name,year\nA,2026\n");
    expect(() => readCredentialSources([csv])).to.throw(InputError, /needs --template/);
    expect(() => readCredentialSources([csv], { template: template() })).to.throw(InputError, /uses column\(s\) "email", "course", "tag" that the CSV header lacks \(it has "name", "year"\)/);
    const empty = join(dir, "empty");
    mkdirSync(empty);
    expect(() => readCredentialSources([empty])).to.throw(InputError, /holds no \.json/);
    const noPlaceholder = file("t.json", "{}");
    expect(() => readCredentialSources([csv], { template: noPlaceholder })).to.throw(InputError, /no \{\{column\}\} placeholder/);
  });

  it("fillTemplate: leaves non-string values alone", function () {
    expect(fillTemplate({ n: 1, b: true, z: null, s: "{{a}}-{{b}}" }, { a: "x", b: "" })).to.deep.equal({ n: 1, b: true, z: null, s: "x-" });
  });
});
