/** Reading every page of a paged listing or query. */

/** One page of results, with the token of the next page when there is one. */
export interface Paged<T> {
  records: T[];
  nextPageToken?: string;
}

/** Every record of every page `fetch` returns, starting without a token, until a page has no next token. */
export async function* allPages<T>(
  fetch: (pageToken: string | undefined) => Promise<Paged<T>>,
): AsyncGenerator<T> {
  let pageToken: string | undefined;
  do {
    const page = await fetch(pageToken);
    yield* page.records;
    pageToken = page.nextPageToken;
  } while (pageToken !== undefined);
}
