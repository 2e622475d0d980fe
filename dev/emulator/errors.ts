/** Botpress API errors as the cloud sends them, so @botpress/client's `errorFrom` rebuilds the right error class. */
import { randomBytes } from 'node:crypto'
import type { ErrorType } from '@botpress/client'

/** type → HTTP status, as in @botpress/api's error list (metadata.json) and the client's error classes. */
export const ERROR_CODES: Record<ErrorType, number> = {
  Unknown: 500,
  Internal: 500,
  Unauthorized: 401,
  Forbidden: 403,
  PayloadTooLarge: 413,
  InvalidPayload: 400,
  UnsupportedMediaType: 415,
  MethodNotFound: 405,
  ResourceNotFound: 404,
  InvalidJsonSchema: 400,
  InvalidDataFormat: 400,
  InvalidIdentifier: 400,
  RelationConflict: 409,
  ReferenceConstraint: 409,
  ResourceLockedConflict: 409,
  ResourceGone: 410,
  ReferenceNotFound: 400,
  InvalidQuery: 400,
  Runtime: 400,
  AlreadyExists: 409,
  RateLimited: 429,
  PaymentRequired: 402,
  QuotaExceeded: 403,
  LimitExceeded: 413,
  BreakingChanges: 400,
  OperationTimeout: 504,
}

/** The type a bare status maps to (used by failNext). */
export const typeForStatus = (status: number): ErrorType =>
  (({ 400: 'InvalidPayload', 401: 'Unauthorized', 402: 'PaymentRequired', 403: 'Forbidden', 404: 'ResourceNotFound', 405: 'MethodNotFound', 409: 'AlreadyExists', 410: 'ResourceGone', 413: 'PayloadTooLarge', 415: 'UnsupportedMediaType', 429: 'RateLimited', 504: 'OperationTimeout' }) as Record<number, ErrorType>)[status] ??
  (status >= 500 ? 'Internal' : 'Unknown')

export interface ErrorBody {
  id: string
  code: number
  type: ErrorType
  message: string
}

/** Same id format as the client's (`err_<yyyymmddhhmmss>x<8 hex>`). */
const errorId = () => `err_${new Date().toISOString().replace(/[-:TZ]/g, '').split('.')[0]}x${randomBytes(4).toString('hex').toUpperCase()}`

export class ApiError extends Error {
  constructor(
    readonly type: ErrorType,
    message: string,
    readonly code: number = ERROR_CODES[type]
  ) {
    super(message)
  }
  toJSON(): ErrorBody {
    return { id: errorId(), code: this.code, type: this.type, message: this.message }
  }
}

export const notFound = (what: string, id: string) => new ApiError('ResourceNotFound', `${what} ${id} not found`)
