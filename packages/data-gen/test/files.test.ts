import { describe, expect, it } from "vitest"
import { InvalidFile, jsonErrorOffset, parseDataFile, parseInitFile } from "../src/index.js"

const problem = (f: () => unknown): InvalidFile => {
  try {
    f()
  } catch (e) {
    if (e instanceof InvalidFile) return e
    throw e
  }
  throw new Error("expected InvalidFile")
}

const data = {
  xTrain: [
    [1, 2],
    [3, 4],
    [5, 6]
  ],
  yTrain: [1, 2, 3],
  xTest: [[0, 1]],
  yTest: [0.5]
}

describe("data files", () => {
  it("parses the documented format", () => {
    const d = parseDataFile(JSON.stringify(data), "d.json")
    expect([d.d, d.nTrain, d.nTest]).toEqual([2, 3, 1])
    expect(Array.from(d.xTrain)).toEqual([1, 2, 3, 4, 5, 6])
  })

  it("names the path of ragged rows, non-numbers, wrong lengths and bad JSON", () => {
    expect(
      problem(() => parseDataFile(JSON.stringify({ ...data, xTrain: [[1, 2], [3]] }), "d.json")).path
    ).toBe("$.xTrain[1]")
    expect(
      problem(() => parseDataFile(JSON.stringify({ ...data, yTrain: [1, "2", 3] }), "d.json")).path
    ).toBe("$.yTrain[1]")
    expect(
      problem(() => parseDataFile(JSON.stringify({ ...data, yTrain: [1, 2] }), "d.json")).problem
    ).toMatch(/expected 3 numbers, found 2/)
    expect(problem(() => parseDataFile(JSON.stringify({ ...data, xTest: [[1, 2, 3]] }), "d.json")).path).toBe(
      "$.xTest[0]"
    )
    expect(problem(() => parseDataFile("{", "d.json")).problem).toMatch(/not valid JSON/)
    expect(problem(() => parseDataFile(JSON.stringify({ yTrain: [] }), "d.json")).message).toMatch(
      /^d\.json: \$\.xTrain: /
    )
  })
})

describe("init files", () => {
  it("parses weights with and without biases", () => {
    const i = parseInitFile(
      JSON.stringify({
        hiddenWeights: [
          [1, 2],
          [3, 4]
        ],
        hiddenBias: [5, 6],
        outputWeights: [0, 0]
      }),
      "i.json"
    )
    expect([i.width, i.d, Array.from(i.hiddenBias!)]).toEqual([2, 2, [5, 6]])
    expect(
      parseInitFile(JSON.stringify({ hiddenWeights: [[1]], outputWeights: [0] }), "i.json").hiddenBias
    ).toBeUndefined()
  })

  it("rejects output weights of the wrong length", () => {
    expect(
      problem(() =>
        parseInitFile(JSON.stringify({ hiddenWeights: [[1], [2]], outputWeights: [0] }), "i.json")
      ).path
    ).toBe("$.outputWeights")
  })
})

describe("a file that is not JSON", () => {
  it("is reported by line and column, without quoting the file", () => {
    const text = '{\n  "xTrain": [[1, 2]],\n  "secret": oops\n}'
    const e = problem(() => parseDataFile(text, "d.json"))
    expect(e.message).toBe("d.json: $: not valid JSON at line 3, column 13")
    expect(e.message).not.toContain("xTrain")
    expect(problem(() => parseInitFile('{"hiddenWeights": [[1', "i.json")).problem).toBe(
      "not valid JSON (it ends too early)"
    )
  })

  it("finds the offset JSON.parse stops at", () => {
    for (const [text, at] of [
      ['{"a": 1,}', 8],
      ["[1] 2", 4],
      ['{"a": 01}', 7],
      ["[1, 2", 5],
      ['"\\u0041"', 8]
    ] as const) {
      expect(jsonErrorOffset(text), text).toBe(at)
      if (at < text.length) expect(() => JSON.parse(text)).toThrow()
    }
  })
})
