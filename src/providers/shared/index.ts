/** Helpers shared by every provider adapter. Anything two adapters would write twice belongs here. */
export * from './values'
export * from './text'
export * from './files'
export * from './pieces'
export * from './setup-store'
export * from './derived'
