/** The sample corpus shipped with the project: "The Verdict" by Edith Wharton (public domain). */
export const SAMPLE_TEXT_URL: URL = new URL("../../data/the-verdict.txt", import.meta.url);
