// Filled by a later issue; the package exists so the workspace layout is complete.
export {};
