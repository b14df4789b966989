import type { AstLanguage } from '../grammars.js';
import { c } from './c.js';
import { csharp } from './csharp.js';
import { go } from './go.js';
import { java } from './java.js';
import { javascript } from './javascript.js';
import { php } from './php.js';
import { python } from './python.js';
import { ruby } from './ruby.js';
import { rust } from './rust.js';
import type { LanguageSpec } from './spec.js';

export type { LanguageSpec } from './spec.js';

export const SPECS: Record<AstLanguage, LanguageSpec> = {
  typescript: javascript, tsx: javascript, javascript, python, go, rust, java, c, cpp: c, csharp, ruby, php,
};
