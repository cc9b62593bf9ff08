/** Form schema of a new API key (`POST /api/v1/api-keys {name}`: 1–200 characters). */
import { z } from 'zod'

export const apiKeySchema = z.object({ name: z.string().trim().min(1, 'Name the key').max(200) })
export type ApiKeyValues = z.infer<typeof apiKeySchema>
