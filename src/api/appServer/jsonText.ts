/**
 * A result already written as JSON text: the message around it is encoded without parsing or
 * re-encoding it (`encodeMessage`). A `thread/list` page is joined from each thread's kept JSON.
 */
export class JsonText {
  constructor(readonly text: string) {}
}
