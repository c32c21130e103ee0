/** The part of jsfive's API that src/model/kerasFile.ts uses (the package ships no types). */
declare module 'jsfive' {
  interface Node {
    readonly attrs: Record<string, unknown>
  }
  export class Group implements Node {
    readonly attrs: Record<string, unknown>
    readonly keys: string[]
    /** throws (a string) when there is no such member */
    get(path: string): Group | Dataset
  }
  export class Dataset implements Node {
    readonly attrs: Record<string, unknown>
    readonly shape: number[]
    /** numpy-style: '<f4', '<i4', … */
    readonly dtype: unknown
    readonly value: ArrayLike<number>
  }
  export class File extends Group {
    constructor(buffer: ArrayBuffer, filename: string)
  }
}
