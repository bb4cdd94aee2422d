/**
 * Interface names end up in table keys (at most 1024 bytes); real ones are short (Linux: 15).
 * Apart from the schema, so that the writer, which checks names again, bundles no zod.
 */
export const MAX_INTERFACE_NAME = 255;
