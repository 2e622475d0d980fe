/** Every console line written during this test file (captured by test/support/setup.ts). */
export const capturedLogs = (): string[] => ((globalThis as any).__capturedLogs ??= [])
export const clearLogs = () => capturedLogs().splice(0)
