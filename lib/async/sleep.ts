/** Resolves after `ms` milliseconds: the one pause between retries, polls and paced loads. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
