// The catalog's descriptions in the UI's language. The server sends each entry's id and an
// English description; the UI words it, falling back to the server's text for entries it
// does not know (a catalog refreshed from Hugging Face).
import type { Lang } from '.';

const ko: Record<string, string> = {
  'qwen3-8b': '생각 모드를 켜고 끌 수 있는 균형 잡힌 모델. 한국어를 잘합니다.',
  'qwen3-14b': '생각 모드가 있는 Qwen3. 8B보다 한 단계 위이며 한국어를 잘합니다.',
  'qwen3-30b-a3b': '전문가 혼합(MoE) 모델: 30B의 지식을 3B 모델의 속도로. 한국어를 잘합니다.',
  'qwen3-32b': '가장 큰 밀집형 Qwen3. 추론과 한국어에 강합니다.',
  'gpt-oss-20b': 'OpenAI의 공개 가중치 추론 모델. 슬라이딩 윈도 어텐션을 쓰는 전문가 혼합 모델로 MXFP4로 배포됩니다.',
  'gemma-3-27b-it': '가장 큰 Gemma 3. 다국어 글쓰기에 강하고 한국어를 잘합니다. 슬라이딩 윈도 어텐션으로 캐시가 작습니다.',
  'mistral-small-3.2-24b-instruct': '도구 호출과 128K 컨텍스트를 갖춘 유능한 범용 모델.',
  'qwen3-4b': '생각 모드가 있는 작은 Qwen3. 8GB Mac에도 들어갑니다.',
  'qwen2.5-7b-instruct': '한국어와 도구 호출을 잘하는 믿을 만한 대화 모델.',
  'qwen2.5-3b-instruct': '빠르고 작은 대화 모델.',
  'qwen2.5-coder-7b-instruct': '코드 작성, 고치기, 중간 채우기.',
  'qwen2.5-coder-14b-instruct': '16GB 이상 Mac을 위한 더 큰 코드 모델.',
  'qwen2.5-coder-1.5b-instruct': '자동 완성용 아주 작은 코드 모델.',
  'exaone-3.5-7.8b-instruct': 'LG AI연구원의 한영 이중 언어 모델 (비상업 라이선스).',
  'exaone-3.5-2.4b-instruct': '작은 한영 이중 언어 모델 (비상업 라이선스).',
  'exaone-deep-7.8b': '한국어를 하는 추론 모델 (수학, 코드; 비상업 라이선스).',
  'deepseek-r1-distill-qwen-7b': '7B 모델에 담은 R1 방식의 단계별 추론.',
  'gemma-3-4b-it': '긴 컨텍스트의 작은 다국어 모델. 한국어를 잘합니다.',
  'gemma-3-12b-it': '16GB 이상 Mac을 위한 강한 다국어 모델. 한국어를 잘합니다.',
  'gemma-2-9b-it': '한국어 글쓰기를 잘하는 균형 잡힌 모델. 8K 컨텍스트.',
  'llama-3.1-8b-instruct': '128K 컨텍스트와 도구 호출을 갖춘 인기 있는 범용 모델.',
  'llama-3.2-3b-instruct': '128K 컨텍스트의 작고 빠른 Llama.',
  'phi-4-mini-instruct': '크기에 비해 수학과 논리에 강한 3.8B 모델.',
  'bge-m3': 'RAG용 다국어 임베딩 모델 (1024차원, 8K 입력). 한국어를 잘 다룹니다. 문서 기능에 추천.',
  'qwen3-embedding-0.6b': '작은 다국어 임베딩 모델 (1024차원, 32K 입력).',
  'nomic-embed-text-v1.5': '작은 영어 임베딩 모델 (768차원).',
};

/** The description of catalog entry id in lang, else the server's (English) text. */
export function catalogDescription(lang: Lang, id: string, fallback: string | undefined): string | undefined {
  return (lang === 'ko' ? ko[id] : undefined) ?? fallback;
}
