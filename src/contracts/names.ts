/** A repo's name: the directory under DATA_DIR/repos and the key every job and route uses. */
export const REPO_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** Run ids become artifact directories and job-id parts: no separators. */
export const RUN_ID_PATTERN = /^[A-Za-z0-9._-]+$/;
