import { b } from './b';
import { harness } from '../test/harness';
export const a = () => b() + harness;
